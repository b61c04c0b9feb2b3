"""Notification preferences: per user (email events, quiet hours) and per role (defaults)

Revision ID: 20261204_notif_prefs
Revises: 20261204_webhook_subs
Create Date: 2026-12-04 22:30:00.000000

No user time zone: quiet hours are read in the zone of the rep the user is linked to
(reps.time_zone), which is who the email goes to.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fenpei.adapters.db.types

revision = "20261204_notif_prefs"
down_revision = "20261204_webhook_subs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email_events", fenpei.adapters.db.types.Json(), nullable=True),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column(
            "updated_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "role_notification_defaults",
        sa.Column(
            "role",
            sa.Enum(
                "admin", "manager", "rep", "auditor", name="role", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("email_events", fenpei.adapters.db.types.Json(), nullable=False),
        sa.PrimaryKeyConstraint("role", name=op.f("pk_role_notification_defaults")),
    )


def downgrade() -> None:
    op.drop_table("role_notification_defaults")
    op.drop_table("notification_preferences")
