"""Why a rule version was saved when no person typed it (issue 12): merging a category
value that a rule tests carries the rule along as a new version, noted as such.

Revision ID: 20261205_rule_version_note
Revises: 20261205_import_once
Create Date: 2026-12-05 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "20261205_rule_version_note"
down_revision = "20261205_import_once"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "note",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.drop_column("note")
