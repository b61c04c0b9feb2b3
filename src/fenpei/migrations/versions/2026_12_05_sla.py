"""First-contact SLAs in business time (issue 13 item 5): policies, clocks, and the admin's
holiday / make-up workday entries per calendar.

Revision ID: 20261205_sla
Revises: 20261205_follow_ups
Create Date: 2026-12-05 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import UtcDateTime

revision = "20261205_sla"
down_revision = "20261205_follow_ups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(50)),
        sa.Column("rule_id", sa.Integer, sa.ForeignKey("rules.id", ondelete="CASCADE")),
        sa.Column("first_contact_minutes", sa.Integer, nullable=False),
        sa.Column("remind_before_minutes", sa.Integer, nullable=False),
        sa.Column("notify_manager", sa.Boolean, nullable=False),
        sa.Column("reassign_after_minutes", sa.Integer),
        sa.Column("calendar", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime),
        sa.Column("updated_at", UtcDateTime),
    )
    op.create_table(
        "sla_clocks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "rep_id", sa.Integer, sa.ForeignKey("reps.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("policy_id", sa.Integer, sa.ForeignKey("sla_policies.id", ondelete="SET NULL")),
        sa.Column("assignment_id", sa.Integer),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("due_at", UtcDateTime, nullable=False),
        *(
            sa.Column(name, UtcDateTime)
            for name in (
                "remind_at",
                "reassign_at",
                "reminded_at",
                "breached_at",
                "escalated_at",
                "reassigned_at",
                "met_at",
                "cancelled_at",
                "paused_at",
            )
        ),
        sa.Column("paused_minutes", sa.Integer, nullable=False),
    )
    op.create_index("ix_sla_clocks_customer_id", "sla_clocks", ["customer_id"])
    op.create_index("ix_sla_clocks_state_due_at", "sla_clocks", ["state", "due_at"])
    op.create_table(
        "holidays",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("calendar", sa.String(20), nullable=False),
        sa.UniqueConstraint("calendar", "day", name="uq_holidays_calendar_day"),
    )


def downgrade() -> None:
    op.drop_table("holidays")
    op.drop_index("ix_sla_clocks_state_due_at", table_name="sla_clocks")
    op.drop_index("ix_sla_clocks_customer_id", table_name="sla_clocks")
    op.drop_table("sla_clocks")
    op.drop_table("sla_policies")
