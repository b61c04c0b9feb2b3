"""One running import per file (issue 11, item 4): two first imports of the same file
started at once both find no earlier job; a unique index on the SHA-256 of running jobs
lets only one of them start, and the other is told which job holds the file.

Revision ID: 20261205_import_once
Revises: 20261205_import_jobs
Create Date: 2026-12-05 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261205_import_once"
down_revision = "20261205_import_jobs"
branch_labels = None
depends_on = None

RUNNING = sa.text("status = 'running'")


def upgrade() -> None:
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ux_import_jobs_running_sha256",
            ["sha256"],
            unique=True,
            sqlite_where=RUNNING,
            postgresql_where=RUNNING,
        )


def downgrade() -> None:
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_index("ux_import_jobs_running_sha256")
