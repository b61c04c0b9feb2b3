"""Corrected follow-ups (更正跟进记录): when a follow-up was last corrected.

Revision ID: 20261210_follow_up_edits
Revises: 20261209_sla_next_contact
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import UtcDateTime

revision = "20261210_follow_up_edits"
down_revision = "20261209_sla_next_contact"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edited_at", UtcDateTime))


def downgrade() -> None:
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_column("edited_at")
