"""Drafts: a half-filled application or complaint kept when the user leaves it, until it expires;
``users.drafts_until`` says whether a user has one (the menu asks the drafts only then).

Numbered 0009 (0008 is left to the branch that takes it); it follows the newest revision here.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("form", sa.String(length=16), nullable=False),
        sa.Column("standard_id", sa.String(length=64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("saved_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_drafts"),
        sa.UniqueConstraint("user_id", "form", name="uq_drafts_user_id"),
    )
    op.create_index("ix_drafts_user_id", "drafts", ["user_id"])
    op.create_index("ix_drafts_expires_at", "drafts", ["expires_at"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("drafts_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("drafts_until")
    op.drop_index("ix_drafts_expires_at", table_name="drafts")
    op.drop_index("ix_drafts_user_id", table_name="drafts")
    op.drop_table("drafts")
