"""Follow-ups (跟进记录) and stage changes (issue 13, item 3): the records a customer's
timeline shows with its assignments, and each customer's next follow-up time, so "my
customers" sorts by what is due.

Revision ID: 20261205_follow_ups
Revises: 20261205_customer_pool_columns
Create Date: 2026-12-05 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import UtcDateTime

revision = "20261205_follow_ups"
down_revision = "20261205_customer_pool_columns"
branch_labels = None
depends_on = None

REMINDER_DUE = sa.text("reminded_at IS NULL AND next_at IS NOT NULL")

def _stage(name: str) -> sa.Column[str]:
    stages = sa.Enum(
        "new", "contacted", "qualified", "won", "lost", name="stage", native_enum=False, length=20
    )
    return sa.Column(name, stages, nullable=False)


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch: SQLite keeps the table and its rep_loads triggers.
    op.add_column("customers", sa.Column("next_follow_up_at", UtcDateTime))
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey(
                "customers.id", name="fk_follow_ups_customer_id_customers", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column(
            "rep_id",
            sa.Integer,
            sa.ForeignKey("reps.id", name="fk_follow_ups_rep_id_reps", ondelete="SET NULL"),
        ),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("content", sa.String(2000), nullable=False),
        sa.Column("outcome", sa.String(500)),
        sa.Column("next_at", UtcDateTime),
        sa.Column("reminded_at", UtcDateTime),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_follow_ups"),
    )
    op.create_index("ix_follow_ups_customer_at", "follow_ups", ["customer_id", "at"])
    op.create_index(
        "ix_follow_ups_reminder_due",
        "follow_ups",
        ["next_at"],
        sqlite_where=REMINDER_DUE,
        postgresql_where=REMINDER_DUE,
    )
    op.create_table(
        "stage_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey(
                "customers.id", name="fk_stage_changes_customer_id_customers", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        _stage("from_stage"),
        _stage("to_stage"),
        sa.Column("reason", sa.String(500)),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stage_changes"),
    )
    op.create_index("ix_stage_changes_customer_at", "stage_changes", ["customer_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_stage_changes_customer_at", table_name="stage_changes")
    op.drop_table("stage_changes")
    op.drop_index("ix_follow_ups_reminder_due", table_name="follow_ups")
    op.drop_index("ix_follow_ups_customer_at", table_name="follow_ups")
    op.drop_table("follow_ups")
    op.drop_column("customers", "next_follow_up_at")
