"""CRM sync (issue 16, part 6): each connection's cursors and last run, the links of CRM
records to customers, and every owner change considered for pushing.

Revision ID: 20261208_crm_sync
Revises: 20261207_scoring
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import Json, UtcDateTime

revision = "20261208_crm_sync"
down_revision = "20261207_scoring"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_state",
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("pull_cursor", UtcDateTime),
        sa.Column("push_cursor", sa.Integer, nullable=False),
        sa.Column("last_run_at", UtcDateTime),
        sa.Column("last_counts", Json, nullable=False),
        sa.Column("last_error", sa.String(2000)),
        sa.PrimaryKeyConstraint("connection", name="pk_sync_state"),
    )
    op.create_table(
        "sync_links",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=False),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey(
                "customers.id", ondelete="CASCADE", name="fk_sync_links_customer_id_customers"
            ),
            nullable=False,
        ),
        sa.Column("linked_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_links"),
        sa.UniqueConstraint(
            "connection", "module", "external_id", name="uq_sync_links_connection_external"
        ),
        sa.UniqueConstraint(
            "connection", "module", "customer_id", name="uq_sync_links_connection_customer"
        ),
    )
    op.create_table(
        "sync_pushes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column(
            "assignment_id",
            sa.Integer,
            sa.ForeignKey(
                "assignments.id",
                ondelete="CASCADE",
                name="fk_sync_pushes_assignment_id_assignments",
            ),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey(
                "customers.id", ondelete="CASCADE", name="fk_sync_pushes_customer_id_customers"
            ),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(100)),
        sa.Column("owner_external_id", sa.String(100)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.String(1000)),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_pushes"),
        sa.UniqueConstraint(
            "connection", "assignment_id", name="uq_sync_pushes_connection_assignment"
        ),
    )
    op.create_index("ix_sync_pushes_connection_status", "sync_pushes", ["connection", "status"])


def downgrade() -> None:
    op.drop_index("ix_sync_pushes_connection_status", table_name="sync_pushes")
    op.drop_table("sync_pushes")
    op.drop_table("sync_links")
    op.drop_table("sync_state")
