"""Import in the browser (issue 16, part 1): uploaded files kept until their import ends,
with their mapping, mode and error file; column mappings remembered per source.

Revision ID: 20261208_import_mappings
Revises: 20261208_exports
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.adapters.db.types import Json, UtcDateTime

revision = "20261208_import_mappings"
down_revision = "20261208_exports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_uploads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", UtcDateTime, nullable=False),
        sa.Column("headers", Json, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("encoding", sa.String(40)),
        sa.Column("sheet", sa.String(200)),
        sa.Column("sheets", Json, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("route", sa.Boolean, nullable=False),
        sa.Column("source", sa.String(200)),
        sa.Column("mapping", Json, nullable=False),
        sa.Column("job_id", sa.Integer),
        sa.Column("bad_rows", sa.Integer, nullable=False),
        sa.Column("errors", Json, nullable=False),
        sa.Column("error_file", sa.LargeBinary),
        sa.Column("claimed_at", UtcDateTime),
        sa.Column("finished_at", UtcDateTime),
        sa.Column("note", sa.String(1000)),
        sa.PrimaryKeyConstraint("id", name="pk_import_uploads"),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["import_jobs.id"],
            name="fk_import_uploads_job_id_import_jobs",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_import_uploads_state", "import_uploads", ["state"])
    op.create_table(
        "import_mappings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("mapping", Json, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_mappings"),
        sa.UniqueConstraint("source", name="uq_import_mappings_source"),
    )


def downgrade() -> None:
    op.drop_table("import_mappings")
    op.drop_index("ix_import_uploads_state", table_name="import_uploads")
    op.drop_table("import_uploads")
