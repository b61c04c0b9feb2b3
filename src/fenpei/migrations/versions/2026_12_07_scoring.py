"""Scoring and smart routing (issue 15): model versions and grade settings; a customer's
probability, grade and last re-routing; a rule's holdout and re-routing trigger; an
assignment's experiment arm.

Revision ID: 20261207_scoring
Revises: 20261206_task_timers
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import Json, UtcDateTime

revision = "20261207_scoring"
down_revision = "20261206_task_timers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "score_models",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("params", Json, nullable=False),
        sa.Column("metrics", Json, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime),
        sa.Column("activated_at", UtcDateTime),
        sa.Column("note", sa.String(1000)),
        sa.PrimaryKeyConstraint("id", name="pk_score_models"),
        sa.UniqueConstraint("kind", "version", name="uq_score_models_kind_version"),
    )
    op.create_index(
        "ix_score_models_one_active",
        "score_models",
        ["kind"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "scoring_settings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("grade_basis", sa.String(20), nullable=False),
        sa.Column("thresholds", Json, nullable=False),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("updated_at", UtcDateTime),
        sa.PrimaryKeyConstraint("id", name="pk_scoring_settings"),
    )
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("win_probability", sa.Float))
        batch.add_column(sa.Column("grade", sa.String(1)))
        batch.add_column(sa.Column("scored_at", UtcDateTime))
        batch.add_column(sa.Column("rerouted_at", UtcDateTime))
        batch.create_index("ix_customers_grade", ["grade"])
    with op.batch_alter_table("rules") as batch:
        batch.add_column(sa.Column("holdout", Json))
        batch.add_column(sa.Column("reroute", Json))
    with op.batch_alter_table("assignments") as batch:
        batch.add_column(sa.Column("arm", sa.String(10)))
        batch.create_index("ix_assignments_rule_arm", ["rule_id", "arm"])


def downgrade() -> None:
    with op.batch_alter_table("assignments") as batch:
        batch.drop_index("ix_assignments_rule_arm")
        batch.drop_column("arm")
    with op.batch_alter_table("rules") as batch:
        batch.drop_column("reroute")
        batch.drop_column("holdout")
    with op.batch_alter_table("customers") as batch:
        batch.drop_index("ix_customers_grade")
        batch.drop_column("rerouted_at")
        batch.drop_column("scored_at")
        batch.drop_column("grade")
        batch.drop_column("win_probability")
    op.drop_table("scoring_settings")
    op.drop_index("ix_score_models_one_active", table_name="score_models")
    op.drop_table("score_models")
