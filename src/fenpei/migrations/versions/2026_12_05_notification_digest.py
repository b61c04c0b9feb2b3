"""A daily email digest instead of one email per event (issue 10): notification_preferences
gets ``digest`` (existing users: off) and ``last_digest_at`` (where the next digest starts).

Revision ID: 20261205_digest
Revises: 20261204_user_links
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fenpei.adapters.db.types

revision = "20261205_digest"
down_revision = "20261204_user_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "last_digest_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.drop_column("last_digest_at")
        batch_op.drop_column("digest")
