"""Tasks (issue 14): tasks, their linked customers, checklist, comments and history; a
rep's task capacity; and what a rule routes (customers or tasks).

Revision ID: 20261206_tasks
Revises: 20261205_duplicate_keys
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import Json, UtcDateTime

revision = "20261206_tasks"
down_revision = "20261205_duplicate_keys"
branch_labels = None
depends_on = None

_MOMENTS = (
    "start_at", "due_at", "completed_at", "started_reminded_at", "before_due_reminded_at",
    "due_reminded_at", "overdue_at", "escalated_at",
)  # fmt: skip


def _task_id() -> sa.Column[int]:
    return sa.Column(
        "task_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    # Plain ADD COLUMNs, not batches: SQLite keeps the tables and their triggers.
    op.add_column("reps", sa.Column("task_capacity", sa.Numeric(8, 2)))
    op.add_column(
        "rules",
        sa.Column("subject", sa.String(20), nullable=False, server_default="customer"),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.String(5000)),
        sa.Column("kind", sa.String(100)),
        sa.Column("category", sa.String(100)),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("urgency", sa.Integer),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("origin_ref", sa.String(100)),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="SET NULL")),
        sa.Column("assignee_id", sa.Integer, sa.ForeignKey("reps.id", ondelete="SET NULL")),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="SET NULL")),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_by_user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        *(sa.Column(name, UtcDateTime) for name in _MOMENTS[:3]),
        sa.Column("effort_hours", sa.Numeric(8, 2)),
        sa.Column("progress", sa.Integer, nullable=False),
        sa.Column("blocked_reason", sa.String(1000)),
        sa.Column("recurrence", Json),
        sa.Column("series_id", sa.Integer),
        *(sa.Column(name, UtcDateTime) for name in _MOMENTS[3:]),
        sa.Column("difficulty", sa.Integer),
        sa.Column("completion_note", sa.String(1000)),
        sa.Column("quality", sa.Integer),
        sa.Column("satisfaction", sa.Integer),
        sa.Column("rating_note", sa.String(1000)),
        sa.Column("rated_by", sa.String(64)),
        sa.Column("rated_at", UtcDateTime),
        sa.Column("decision", Json),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime),
    )
    op.create_index("ix_tasks_customer_id", "tasks", ["customer_id"])
    op.create_index("ix_tasks_assignee_status_due", "tasks", ["assignee_id", "status", "due_at"])
    op.create_index("ix_tasks_status_due", "tasks", ["status", "due_at"])
    op.create_table(
        "task_customers",
        sa.Column(
            "task_id",
            sa.Integer,
            sa.ForeignKey("tasks.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_task_customers_customer", "task_customers", ["customer_id"])
    op.create_table(
        "task_checklist",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _task_id(),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("done_by", sa.String(64)),
        sa.Column("done_at", UtcDateTime),
    )
    op.create_index("ix_task_checklist_task_id", "task_checklist", ["task_id"])
    op.create_table(
        "task_comments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _task_id(),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("body", sa.String(2000), nullable=False),
        sa.Column("mentions", Json, nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_task_comments_task_id", "task_comments", ["task_id"])
    op.create_table(
        "task_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _task_id(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("detail", Json, nullable=False),
    )
    op.create_index("ix_task_events_task_at", "task_events", ["task_id", "at"])


def downgrade() -> None:
    for table in ("task_events", "task_comments", "task_checklist", "task_customers", "tasks"):
        op.drop_table(table)
    op.drop_column("rules", "subject")
    op.drop_column("reps", "task_capacity")
