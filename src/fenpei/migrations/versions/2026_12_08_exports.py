"""Exports (issue 16, part 2): the admin's setting whether reps may export.

Revision ID: 20261208_exports
Revises: 20261208_attachments
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import UtcDateTime

revision = "20261208_exports"
down_revision = "20261208_attachments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_settings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reps_may_export", sa.Boolean, nullable=False),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("updated_at", UtcDateTime),
        sa.PrimaryKeyConstraint("id", name="pk_export_settings"),
    )


def downgrade() -> None:
    op.drop_table("export_settings")
