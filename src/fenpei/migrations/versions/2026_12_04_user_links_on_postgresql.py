"""The two foreign keys between users and the org (reps.user_id, teams.manager_user_id) on
PostgreSQL. The first revision declared them with use_alter inside create_table, where
Alembic leaves them out; tests/integration/test_migrations.py found them missing.

Revision ID: 20261204_user_links
Revises: 20261204_notif_prefs
Create Date: 2026-12-04 20:50:00
"""

from __future__ import annotations

from alembic import op

revision = "20261204_user_links"
down_revision = "20261204_notif_prefs"
branch_labels = None
depends_on = None

_LINKS = [
    ("fk_reps_user_id_users", "reps", "user_id"),
    ("fk_teams_manager_user_id_users", "teams", "manager_user_id"),
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite checks no constraint added after a table is made
    # A link to a user that no longer exists would refuse the constraint: clear it first.
    for _, table, column in _LINKS:
        op.execute(
            f"UPDATE {table} SET {column} = NULL "
            f"WHERE {column} IS NOT NULL AND {column} NOT IN (SELECT id FROM users)"
        )
    for name, table, column in _LINKS:
        op.create_foreign_key(name, table, "users", [column], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _ in _LINKS:
        op.drop_constraint(name, table, type_="foreignkey")
