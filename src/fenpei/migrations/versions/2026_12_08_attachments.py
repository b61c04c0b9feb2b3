"""Attachments (资料, issue 16 part 3): a customer's files, kept in the file store.

Revision ID: 20261208_attachments
Revises: 20261208_crm_sync
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import UtcDateTime

revision = "20261208_attachments"
down_revision = "20261208_crm_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.Integer, nullable=False),
        sa.Column("task_id", sa.Integer),
        sa.Column("follow_up_id", sa.Integer),
        sa.Column("storage_key", sa.String(500), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.Integer),
        sa.Column("uploader_name", sa.String(64), nullable=False),
        sa.Column("uploaded_at", UtcDateTime, nullable=False),
        sa.Column("deleted_at", UtcDateTime),
        sa.Column("deleted_by", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_attachments_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name="fk_attachments_task_id_tasks", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_id"],
            ["follow_ups.id"],
            name="fk_attachments_follow_up_id_follow_ups",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["users.id"],
            name="fk_attachments_uploaded_by_users",
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("storage_key", name="uq_attachments_storage_key"),
    )
    op.create_index(
        "ix_attachments_customer_uploaded", "attachments", ["customer_id", "uploaded_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_attachments_customer_uploaded", table_name="attachments")
    op.drop_table("attachments")
