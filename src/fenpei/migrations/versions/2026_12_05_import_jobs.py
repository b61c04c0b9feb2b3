"""Durable customer imports (issue 11, item 4): ``import_jobs``, one row per import of a
file — its SHA-256 (a finished file is not imported twice by mistake), its row count and
how far it got (``last_row``, moved with each committed batch, so a killed import resumes).

Revision ID: 20261205_import_jobs
Revises: 20261205_rep_loads
Create Date: 2026-12-05 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fenpei.adapters.db.types

revision = "20261205_import_jobs"
down_revision = "20261205_rep_loads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("route", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("running", "done", "failed", name="importstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("last_row", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_routed", sa.Integer(), nullable=False),
        sa.Column(
            "started_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "finished_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_jobs_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_jobs_sha256"))
    op.drop_table("import_jobs")
