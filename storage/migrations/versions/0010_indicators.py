"""The standards' quality indicators: the courtesy question after a visit, and indexes.

* ``survey_answers.booking_id``: an answer about a served visit (the staff's courtesy,
  indicator 5.1), one per visit and question.
* indexes holding all the quality indicators read of cases, complaints and visits.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


# Everything the indicators read of a row, so PostgreSQL answers from the index alone.
INDEXES = {
    "cases": ["standard_id", "office_id", "status", "ready_at", "closed_at", "due_date"],
    "complaints": ["standard_id", "office_id", "status", "closed_at", "outcome", "due_date"],
    "bookings": ["standard_id", "office_id", "status", "served_at", "arrived_at", "starts_at"],
}


def upgrade() -> None:
    with op.batch_alter_table("survey_answers") as batch:
        batch.add_column(sa.Column("booking_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_survey_answers_booking_id_bookings", "bookings", ["booking_id"], ["id"],
                                 ondelete="CASCADE")
    op.create_index("uq_survey_answers_booking_question", "survey_answers", ["booking_id", "question"],
                    unique=True)
    for table, columns in INDEXES.items():
        op.create_index(f"ix_{table}_indicators", table, columns)


def downgrade() -> None:
    for table in INDEXES:
        op.drop_index(f"ix_{table}_indicators", table_name=table)
    op.drop_index("uq_survey_answers_booking_question", table_name="survey_answers")
    with op.batch_alter_table("survey_answers") as batch:
        batch.drop_constraint("fk_survey_answers_booking_id_bookings", type_="foreignkey")
        batch.drop_column("booking_id")
