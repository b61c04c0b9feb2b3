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

# The previous revision rebuilt ``customers`` on SQLite (a batch index creation copies the
# table), which drops its triggers: the ones that keep ``rep_loads`` (20261205_rep_loads).
# Put them back as that revision wrote them, if missing, and recount the open holdings
# they missed meanwhile. IF NOT EXISTS: harmless where they survived.
_OPEN = (
    "{row}.owner_id IS NOT NULL AND {row}.deleted_at IS NULL "
    "AND {row}.stage IN ('new', 'contacted', 'qualified')"
)


def _sqlite_customer_triggers() -> list[str]:
    old, new = _OPEN.format(row="OLD"), _OPEN.format(row="NEW")
    minus = (
        "UPDATE rep_loads SET open_count = open_count - 1, "
        "open_value = open_value - coalesce(OLD.expected_value, 0) "
        f"WHERE rep_id = OLD.owner_id AND {old};"
    )
    plus = (
        "UPDATE rep_loads SET open_count = open_count + 1, "
        "open_value = open_value + coalesce(NEW.expected_value, 0) "
        f"WHERE rep_id = NEW.owner_id AND {new};"
    )
    changed = " OR ".join(
        f"OLD.{column} IS NOT NEW.{column}"
        for column in ("owner_id", "stage", "expected_value", "deleted_at")
    )
    return [
        "CREATE TRIGGER IF NOT EXISTS rep_loads_customer_insert AFTER INSERT ON customers "
        f"BEGIN {plus} END",
        "CREATE TRIGGER IF NOT EXISTS rep_loads_customer_update AFTER UPDATE OF owner_id, "
        f"stage, expected_value, deleted_at ON customers WHEN {changed} BEGIN {minus} {plus} END",
        "CREATE TRIGGER IF NOT EXISTS rep_loads_customer_delete AFTER DELETE ON customers "
        f"BEGIN {minus} END",
    ]


_RECOUNT_OPEN = """
UPDATE rep_loads SET
    open_count = (SELECT count(*) FROM customers c WHERE c.owner_id = rep_loads.rep_id
                  AND c.deleted_at IS NULL AND c.stage IN ('new', 'contacted', 'qualified')),
    open_value = (SELECT coalesce(sum(c.expected_value), 0) FROM customers c
                  WHERE c.owner_id = rep_loads.rep_id AND c.deleted_at IS NULL
                  AND c.stage IN ('new', 'contacted', 'qualified'))
"""


def _restore_sqlite_load_triggers() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in _sqlite_customer_triggers():
        op.execute(statement)
    op.execute(_RECOUNT_OPEN)


def _stage(name: str) -> sa.Column[str]:
    stages = sa.Enum(
        "new", "contacted", "qualified", "won", "lost", name="stage", native_enum=False, length=20
    )
    return sa.Column(name, stages, nullable=False)


def upgrade() -> None:
    _restore_sqlite_load_triggers()
    # A plain ADD COLUMN (no index in this batch): SQLite keeps the table and its triggers.
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_follow_up_at", UtcDateTime))
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
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("next_follow_up_at")
