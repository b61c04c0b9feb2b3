"""Task timers (issue 14): each priority's reminder, overdue, escalation and reassignment
times, the tasks the task-reminders job has reassigned (each once), and whether an SLA
breach or a reclaim warning makes a task for the owner.

Revision ID: 20261206_task_timers
Revises: 20261206_tasks
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import UtcDateTime

revision = "20261206_task_timers"
down_revision = "20261206_tasks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_timer_policies",
        sa.Column("priority", sa.String(20), primary_key=True),
        sa.Column("remind_before", sa.Integer, nullable=False),
        sa.Column("overdue_after", sa.Integer, nullable=False),
        sa.Column("escalate_after", sa.Integer),
        sa.Column("reassign_after", sa.Integer),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("updated_at", UtcDateTime),
    )
    op.create_table(
        "task_origin_settings",
        sa.Column("origin", sa.String(20), primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("updated_at", UtcDateTime),
    )
    op.create_table(
        "task_timer_reassignments",
        sa.Column(
            "task_id",
            sa.Integer,
            sa.ForeignKey("tasks.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("task_timer_reassignments")
    op.drop_table("task_origin_settings")
    op.drop_table("task_timer_policies")
