"""Integrators' webhook subscriptions (outgoing webhooks); event type webhook.test

Revision ID: 20261204_webhook_subs
Revises: 20261204_outbox
Create Date: 2026-12-04 21:40:00.000000

The new event type needs nothing here: event types are stored as VARCHAR(40) without a
CHECK constraint (adapters/db/types.py, ``str_enum``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fenpei.adapters.db.types

revision = "20261204_webhook_subs"
down_revision = "20261204_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("events", fenpei.adapters.db.types.Json(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
        sa.UniqueConstraint("name", name=op.f("uq_webhook_subscriptions_name")),
    )


def downgrade() -> None:
    op.drop_table("webhook_subscriptions")
