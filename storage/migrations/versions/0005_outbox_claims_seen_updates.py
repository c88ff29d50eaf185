"""Outbox claims carry the claiming worker's token; update ids seen by webhook processes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=36), nullable=True))
    op.create_table(
        "seen_updates",
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name="pk_seen_updates"),
    )
    op.create_index("ix_seen_updates_seen_at", "seen_updates", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_seen_updates_seen_at", table_name="seen_updates")
    op.drop_table("seen_updates")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
