"""Counting the SQL statements a piece of work sends (SQLAlchemy's before_cursor_execute)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa


@contextmanager
def statements(engine: sa.Engine) -> Iterator[list[str]]:
    """Every statement sent on ``engine`` while inside, in order (BEGIN/COMMIT included
    when the driver sends them as statements; psycopg and sqlite3 do not)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def summary(statement: str) -> str:
    """One line naming what a statement does: ``SELECT rules``, ``INSERT customers`` …"""
    text = " ".join(statement.split())
    if "UNION ALL SELECT 'reps'" in text:
        return "SELECT config stamp  ·  rules, reps, teams, leaves, categories, custom fields"
    verb = text.split(" ", 1)[0].upper()
    table = {
        "INSERT": r"INSERT INTO (\w+)",
        "UPDATE": r"UPDATE (\w+)",
        "DELETE": r"DELETE FROM (\w+)",
    }.get(verb, r"FROM (\w+)")
    found = re.search(table, text, re.IGNORECASE)
    lock = " FOR UPDATE" if " FOR " in text.upper() and "UPDATE" in text.upper()[-40:] else ""
    return f"{verb} {found.group(1) if found else ''}{lock}".strip() + f"  ·  {text[:110]}"
