"""Duplicates in bulk and merge (issue 16 part 4): duplicate pairs to review, and customer
merges with what undoing each needs.

Revision ID: 20261208_merges
Revises: 20261208_import_mappings
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import Json, UtcDateTime

revision = "20261208_merges"
down_revision = "20261208_import_mappings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "duplicate_pairs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("low_id", sa.Integer, nullable=False),
        sa.Column("high_id", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("similarity", sa.Float),
        sa.Column("reasons", Json, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("found_at", UtcDateTime, nullable=False),
        sa.Column("decided_at", UtcDateTime),
        sa.Column("decided_by", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_duplicate_pairs"),
        sa.ForeignKeyConstraint(
            ["low_id"], ["customers.id"], ondelete="CASCADE",
            name="fk_duplicate_pairs_low_id_customers",
        ),
        sa.ForeignKeyConstraint(
            ["high_id"], ["customers.id"], ondelete="CASCADE",
            name="fk_duplicate_pairs_high_id_customers",
        ),
        sa.UniqueConstraint("low_id", "high_id", name="uq_duplicate_pairs_low_id_high_id"),
    )  # fmt: skip
    op.create_index("ix_duplicate_pairs_high_id", "duplicate_pairs", ["high_id"])
    op.create_index("ix_duplicate_pairs_status", "duplicate_pairs", ["status"])
    op.create_table(
        "customer_merges",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("survivor_id", sa.Integer, nullable=False),
        sa.Column("loser_id", sa.Integer, nullable=False),
        sa.Column("pair_id", sa.Integer),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("choices", Json, nullable=False),
        sa.Column("survivor_before", Json, nullable=False),
        sa.Column("survivor_after", Json, nullable=False),
        sa.Column("loser_snapshot", Json, nullable=False),
        sa.Column("moved", Json, nullable=False),
        sa.Column("owner_change", Json, nullable=False),
        sa.Column("undone_at", UtcDateTime),
        sa.Column("undone_by", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_customer_merges"),
        sa.ForeignKeyConstraint(
            ["survivor_id"], ["customers.id"], ondelete="RESTRICT",
            name="fk_customer_merges_survivor_id_customers",
        ),
        sa.ForeignKeyConstraint(
            ["loser_id"], ["customers.id"], ondelete="RESTRICT",
            name="fk_customer_merges_loser_id_customers",
        ),
    )  # fmt: skip
    op.create_index("ix_customer_merges_survivor_id", "customer_merges", ["survivor_id"])
    op.create_index("ix_customer_merges_loser_id", "customer_merges", ["loser_id"])


def downgrade() -> None:
    op.drop_table("customer_merges")
    op.drop_table("duplicate_pairs")
