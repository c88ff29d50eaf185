"""A chat's messages keep the order they were made in; scans are checked and retried.

* ``outbox.due_at``: when a message is meant to go out (when it was made, or a reminder's
  time); a chat's messages go out in this order, whatever retries happen in between.
* ``attachments``: the type found in the file's content, why a file was refused, when the
  next download is tried, since when downloads fail, and when the clerks were told.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("due_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE outbox SET due_at = available_at")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("due_at", existing_type=UTCDateTime(), nullable=False)
    op.create_index("ix_outbox_chat_id_status_due_at", "outbox", ["chat_id", "status", "due_at"])
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("content_type", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("rejected", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("next_attempt_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("failing_since", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("reported_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("reported_at")
        batch.drop_column("failing_since")
        batch.drop_column("next_attempt_at")
        batch.drop_column("rejected")
        batch.drop_column("content_type")
    op.drop_index("ix_outbox_chat_id_status_due_at", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("due_at")
