"""Next-contact SLAs (下次联系时限, issue 13): a policy's optional next-contact target, each
clock's kind (first | next; the existing ones are first-contact clocks), and when the job
dealt with the contact that met a clock (the existing met ones: dealt with, so turning a
next-contact target on later never starts clocks from old contacts).

Revision ID: 20261209_sla_next_contact
Revises: 20261208_merges
Create Date: 2026-12-09 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import UtcDateTime

revision = "20261209_sla_next_contact"
down_revision = "20261208_merges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_contact_minutes", sa.Integer))
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(20), nullable=False, server_default="first")
        )
        batch_op.add_column(sa.Column("followed_at", UtcDateTime))
    op.execute("UPDATE sla_clocks SET followed_at = met_at WHERE met_at IS NOT NULL")
    op.create_index("ix_sla_clocks_followed_at_met_at", "sla_clocks", ["followed_at", "met_at"])


def downgrade() -> None:
    op.drop_index("ix_sla_clocks_followed_at_met_at", table_name="sla_clocks")
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.drop_column("followed_at")
        batch_op.drop_column("kind")
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.drop_column("next_contact_minutes")
