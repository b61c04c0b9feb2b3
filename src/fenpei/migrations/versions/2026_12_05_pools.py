"""Pools' terms (公海, issue 13): who may claim from a pool, daily claim cap, holding cap,
cooldown after a return, masked contacts.

Revision ID: 20261205_pools
Revises: 20261205_rule_version_note
Create Date: 2026-12-05 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import UtcDateTime

revision = "20261205_pools"
down_revision = "20261205_rule_version_note"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pools",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="CASCADE")),
        sa.Column("daily_claim_cap", sa.Integer),
        sa.Column("max_owned", sa.Integer),
        sa.Column("count_won", sa.Boolean, nullable=False),
        sa.Column("cooldown_days", sa.Integer, nullable=False),
        sa.Column("mask_contacts", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime),
        sa.Column("updated_at", UtcDateTime),
        sa.UniqueConstraint("key", name="uq_pools_key"),
    )


def downgrade() -> None:
    op.drop_table("pools")
