"""Reclaim terms on pools (回收): the rules and their per-level days, the warning, the
exemptions, the action, and the cap on key accounts; an index on when customers got their
owner, which every reclaim rule's cutoff reads.

SQLite: ``20261205_customer_pool_columns`` rebuilt ``customers`` (batch mode) and so
dropped the ``rep_loads`` triggers on it; they are created again here and the open
holdings recounted, or the kept loads stop moving on SQLite.

Revision ID: 20261205_pool_reclaim_terms
Revises: 20261205_customer_pool_columns
Create Date: 2026-12-05 21:00:00
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import Json

revision = "20261205_pool_reclaim_terms"
down_revision = "20261205_customer_pool_columns"
branch_labels = None
depends_on = None

_COLUMNS = (
    "reclaim_enabled", "no_follow_up_days", "not_won_days", "stuck_days", "level_days",
    "warn_days", "exempt_key_accounts", "exempt_won", "reclaim_action", "max_key_accounts",
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("pools", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reclaim_enabled", sa.Boolean, nullable=False, server_default=sa.false())
        )
        for name in ("no_follow_up_days", "not_won_days", "stuck_days"):
            batch_op.add_column(sa.Column(name, sa.Integer))
        batch_op.add_column(sa.Column("level_days", Json, nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("warn_days", sa.Integer, nullable=False, server_default="0"))
        for name in ("exempt_key_accounts", "exempt_won"):
            batch_op.add_column(
                sa.Column(name, sa.Boolean, nullable=False, server_default=sa.true())
            )
        batch_op.add_column(
            sa.Column("reclaim_action", sa.String(20), nullable=False, server_default="pool")
        )
        batch_op.add_column(sa.Column("max_key_accounts", sa.Integer))
    op.create_index("ix_customers_assigned_at", "customers", ["assigned_at"])
    if op.get_bind().dialect.name == "sqlite":
        _restore_sqlite_triggers()


def _rep_loads_migration() -> ModuleType:
    path = Path(__file__).with_name("2026_12_05_rep_loads.py")
    spec = importlib.util.spec_from_file_location("_fenpei_rep_loads_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _restore_sqlite_triggers() -> None:
    rep_loads = _rep_loads_migration()
    for name in ("customer_insert", "customer_update", "customer_delete", "rep_insert"):
        op.execute(f"DROP TRIGGER IF EXISTS rep_loads_{name}")
    for statement in rep_loads._sqlite_triggers():
        op.execute(statement)
    open_ = rep_loads._OPEN.format(row="c")
    op.execute(
        "UPDATE rep_loads SET "
        f"open_count = (SELECT count(*) FROM customers c WHERE c.owner_id = rep_loads.rep_id "
        f"AND {open_}), "
        "open_value = (SELECT coalesce(sum(c.expected_value), 0) FROM customers c "
        f"WHERE c.owner_id = rep_loads.rep_id AND {open_})"
    )


def downgrade() -> None:
    op.drop_index("ix_customers_assigned_at", table_name="customers")
    with op.batch_alter_table("pools", schema=None) as batch_op:
        for name in reversed(_COLUMNS):
            batch_op.drop_column(name)
