"""What the pool's timers and the duplicate check read on a customer (issue 13): when its
stage last changed, whether it is a key account (重点客户), the reclaim warning sent, and
normalised phone, email and company keys (查重); and a pool's protection period (保护期).

Revision ID: 20261205_customer_pool_columns
Revises: 20261205_pools
Create Date: 2026-12-05 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import UtcDateTime

revision = "20261205_customer_pool_columns"
down_revision = "20261205_pools"
branch_labels = None
depends_on = None

_KEYS = (("phone_key", 40), ("email_key", 254), ("company_key", 200))


# Plain ADD COLUMN and CREATE INDEX, not batch mode: on SQLite a batch that creates an
# index rebuilds ``customers``, dropping the triggers that keep ``rep_loads``.
def upgrade() -> None:
    op.add_column(
        "pools", sa.Column("protection_days", sa.Integer, nullable=False, server_default="0")
    )
    op.add_column("customers", sa.Column("stage_changed_at", UtcDateTime))
    op.add_column(
        "customers",
        sa.Column("key_account", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("customers", sa.Column("reclaim_warned_at", UtcDateTime))
    for name, length in _KEYS:
        op.add_column("customers", sa.Column(name, sa.String(length)))
        op.create_index(f"ix_customers_{name}", "customers", [name])


def downgrade() -> None:
    for name, _ in _KEYS:
        op.drop_index(f"ix_customers_{name}", "customers")
        op.drop_column("customers", name)
    for name in ("reclaim_warned_at", "key_account", "stage_changed_at"):
        op.drop_column("customers", name)
    op.drop_column("pools", "protection_days")
