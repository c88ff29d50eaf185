"""The staff console: one-time sign-in links, the append-only audit log, and the indexes the
console's lists need at 100,000 cases.

* ``console_links``: the hash of each link's secret, its clerk, expiry and use.
* ``audit_log``: staff actions; triggers refuse UPDATE and DELETE on both backends.
* cases and complaints by office (and status) in due order, the lists' order; open cases
  (partial indexes) for the overdue lists.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

APPEND_ONLY = "the audit log is append-only"
OPEN_CASE = "cases.status IN ('submitted', 'in_work')"  # as storage.models.OPEN_CASE


def upgrade() -> None:
    op.create_table(
        "console_links",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_console_links")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"""CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$""")
        op.execute("""CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log
                BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""")
    op.create_index("ix_cases_office_id_due_date", "cases", ["office_id", "due_date", "id"])
    op.create_index("ix_cases_office_id_status_due_date", "cases", ["office_id", "status", "due_date", "id"])
    op.create_index("ix_cases_status_due_date", "cases", ["status", "due_date", "id"])
    op.create_index("ix_cases_open_due_date", "cases", ["due_date", "id"], postgresql_where=sa.text(OPEN_CASE),
                    sqlite_where=sa.text(OPEN_CASE))
    op.create_index("ix_cases_open_office_id_due_date", "cases", ["office_id", "due_date", "id"],
                    postgresql_where=sa.text(OPEN_CASE), sqlite_where=sa.text(OPEN_CASE))
    op.create_index("ix_complaints_office_id_due_date", "complaints", ["office_id", "due_date", "id"])
    op.create_index("ix_complaints_status_due_date", "complaints", ["status", "due_date", "id"])


def downgrade() -> None:
    op.drop_index("ix_complaints_status_due_date", table_name="complaints")
    op.drop_index("ix_complaints_office_id_due_date", table_name="complaints")
    op.drop_index("ix_cases_open_office_id_due_date", table_name="cases")
    op.drop_index("ix_cases_open_due_date", table_name="cases")
    op.drop_index("ix_cases_status_due_date", table_name="cases")
    op.drop_index("ix_cases_office_id_status_due_date", table_name="cases")
    op.drop_index("ix_cases_office_id_due_date", table_name="cases")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_table("console_links")
