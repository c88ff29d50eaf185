"""Complaints with their history; files, survey answers and notices that belong to a complaint;
the clerks' forum topics and hand-offs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("standard_id", sa.String(length=64), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("complainant", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("forwarded_to", sa.String(length=1000), nullable=True),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_complaints_user_id_users"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_complaints_case_id_cases", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_complaints"),
        sa.UniqueConstraint("number", name="uq_complaints_number"),
    )
    op.create_index("ix_complaints_user_id", "complaints", ["user_id"])
    op.create_index("ix_complaints_office_id", "complaints", ["office_id"])
    op.create_index("ix_complaints_status", "complaints", ["status"])
    op.create_index("ix_complaints_due_date", "complaints", ["due_date"])
    op.create_table(
        "complaint_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"], name="fk_complaint_events_complaint_id_complaints",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_complaint_events"),
    )
    op.create_index("ix_complaint_events_complaint_id", "complaint_events", ["complaint_id"])
    with op.batch_alter_table("attachments") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("complaint_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_attachments_complaint_id_complaints", "complaints", ["complaint_id"], ["id"],
                                 ondelete="CASCADE")
        batch.create_index("ix_attachments_complaint_id", ["complaint_id"])
    with op.batch_alter_table("survey_answers") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("complaint_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_survey_answers_complaint_id_complaints", "complaints", ["complaint_id"], ["id"],
                                 ondelete="CASCADE")
        batch.create_unique_constraint("uq_survey_answers_complaint_question", ["complaint_id", "question"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("complaint_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_outbox_complaint_id_complaints", "complaints", ["complaint_id"], ["id"],
                                 ondelete="SET NULL")
    op.create_table(
        "clerk_topics",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_clerk_topics_user_id_users"),
        sa.PrimaryKeyConstraint("user_id", name="pk_clerk_topics"),
        sa.UniqueConstraint("chat_id", "thread_id", name="uq_clerk_topics_chat_id"),
    )
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("told_until", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_handoffs_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_handoffs"),
    )
    op.create_index("ix_handoffs_user_id", "handoffs", ["user_id"])
    op.create_index("uq_handoffs_open_per_user", "handoffs", ["user_id"], unique=True,
                    sqlite_where=sa.text("closed_at IS NULL"), postgresql_where=sa.text("closed_at IS NULL"))


def downgrade() -> None:
    op.drop_index("uq_handoffs_open_per_user", table_name="handoffs")
    op.drop_index("ix_handoffs_user_id", table_name="handoffs")
    op.drop_table("handoffs")
    op.drop_table("clerk_topics")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("fk_outbox_complaint_id_complaints", type_="foreignkey")
        batch.drop_column("complaint_id")
    op.execute("DELETE FROM survey_answers WHERE case_id IS NULL")
    with op.batch_alter_table("survey_answers") as batch:
        batch.drop_constraint("uq_survey_answers_complaint_question", type_="unique")
        batch.drop_constraint("fk_survey_answers_complaint_id_complaints", type_="foreignkey")
        batch.drop_column("complaint_id")
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
    op.execute("DELETE FROM attachments WHERE case_id IS NULL")
    with op.batch_alter_table("attachments") as batch:
        batch.drop_index("ix_attachments_complaint_id")
        batch.drop_constraint("fk_attachments_complaint_id_complaints", type_="foreignkey")
        batch.drop_column("complaint_id")
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_complaint_events_complaint_id", table_name="complaint_events")
    op.drop_table("complaint_events")
    op.drop_index("ix_complaints_due_date", table_name="complaints")
    op.drop_index("ix_complaints_status", table_name="complaints")
    op.drop_index("ix_complaints_office_id", table_name="complaints")
    op.drop_index("ix_complaints_user_id", table_name="complaints")
    op.drop_table("complaints")
