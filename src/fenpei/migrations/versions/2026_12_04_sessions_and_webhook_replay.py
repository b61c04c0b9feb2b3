"""Session versions on users; receipts of accepted signed webhook requests

Revision ID: 20261204_sessions
Revises: 20261122_access
Create Date: 2026-12-04 10:12:40.218377
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fenpei.adapters.db.types

revision = "20261204_sessions"
down_revision = "20261122_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing users start at version 0; cookies signed before this revision carry no
    # version and are refused, so everyone logs in once more after the upgrade.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "webhook_receipts",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column(
            "expires_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_webhook_receipts")),
    )
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_receipts_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_receipts_expires_at"))
    op.drop_table("webhook_receipts")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
