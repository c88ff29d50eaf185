"""Messages relayed during hand-offs: the copy of each, for replies and edits.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relayed_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("private_message_id", sa.BigInteger(), nullable=False),
        sa.Column("topic_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("topic_message_id", sa.BigInteger(), nullable=False),
        sa.Column("from_applicant", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_relayed_messages_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_relayed_messages"),
    )
    op.create_index("ix_relayed_messages_private", "relayed_messages", ["user_id", "private_message_id"])
    op.create_index("ix_relayed_messages_topic", "relayed_messages", ["topic_chat_id", "topic_message_id"])


def downgrade() -> None:
    op.drop_index("ix_relayed_messages_topic", table_name="relayed_messages")
    op.drop_index("ix_relayed_messages_private", table_name="relayed_messages")
    op.drop_table("relayed_messages")
