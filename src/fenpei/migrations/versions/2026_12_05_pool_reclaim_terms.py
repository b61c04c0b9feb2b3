"""Reclaim terms on pools (回收): the rules and their per-level days, the warning, the
exemptions, the action, and the cap on key accounts; an index on when customers got their
owner, which every reclaim rule's cutoff reads.

Revision ID: 20261205_pool_reclaim_terms
Revises: 20261205_sla
Create Date: 2026-12-05 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import Json

revision = "20261205_pool_reclaim_terms"
down_revision = "20261205_sla"
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


def downgrade() -> None:
    op.drop_index("ix_customers_assigned_at", table_name="customers")
    with op.batch_alter_table("pools", schema=None) as batch_op:
        for name in reversed(_COLUMNS):
            batch_op.drop_column(name)
