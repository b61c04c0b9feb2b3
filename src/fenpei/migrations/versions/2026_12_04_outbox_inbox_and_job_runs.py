"""The transactional outbox, message deliveries, the in-app inbox, job runs; users.language

Revision ID: 20261204_outbox
Revises: 20261204_sessions
Create Date: 2026-12-04 19:54:32.097592
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fenpei.adapters.db.types

revision = "20261204_outbox"
down_revision = "20261204_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("running", "done", "failed", name="jobstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column(
            "started_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "finished_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("summary", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("job", "slot", name=op.f("pk_job_runs")),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index("ix_job_runs_started", ["started_at"], unique=False)

    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "customer.assigned",
                "customer.reassigned",
                "customer.pooled",
                name="eventtype",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("payload", fenpei.adapters.db.types.Json(), nullable=False),
        sa.Column(
            "occurred_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expanded_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_events_key")),
    )
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_events_expanded_at"), ["expanded_at"], unique=False
        )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "inbox",
                "email",
                "wecom",
                "dingtalk",
                "feishu",
                "sms",
                "webhook",
                name="channel",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "delivered",
                "dead",
                name="deliverystatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column(
            "lease_until", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column(
            "delivered_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "created_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outbox_events.id"],
            name=op.f("fk_deliveries_event_id_outbox_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("key", name=op.f("uq_deliveries_key")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deliveries_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            "ix_deliveries_status_next", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "customer.assigned",
                "customer.reassigned",
                "customer.pooled",
                name="eventtype",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("payload", fenpei.adapters.db.types.Json(), nullable=False),
        sa.Column(
            "created_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("read_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("user_id", "event_key", name="uq_notifications_user_event"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_user_read", ["user_id", "read_at"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=10), server_default="zh-CN", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_read")

    op.drop_table("notifications")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_status_next")
        batch_op.drop_index(batch_op.f("ix_deliveries_event_id"))

    op.drop_table("deliveries")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_events_expanded_at"))

    op.drop_table("outbox_events")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_job_runs_started")

    op.drop_table("job_runs")
