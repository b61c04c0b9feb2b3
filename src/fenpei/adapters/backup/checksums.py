"""Row counts and a checksum per table, computed the same way on SQLite and PostgreSQL:
each table's rows read in primary-key order, each value in a canonical text form, hashed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from fenpei.services.backups.manifest import TableDigest

_BATCH = 2000
_PLAIN = frozenset({type(None), bool, int, str})  # JSON as they are: most values
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def canonical(value: Any) -> Any:
    """``value`` as JSON: text for dates, numbers kept exact, bytes as hex."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def table_names(connection: sa.Connection) -> list[str]:
    """The database's tables (its default schema), alembic_version included, sorted."""
    return sorted(sa.inspect(connection).get_table_names())


def _ordered_select(connection: sa.Connection, table: str) -> sa.Executable:
    inspector = sa.inspect(connection)
    columns = [c["name"] for c in inspector.get_columns(table)]
    key = inspector.get_pk_constraint(table).get("constrained_columns") or columns
    return (
        sa.select(*(sa.column(c) for c in columns))
        .select_from(sa.table(table))
        .order_by(*(sa.column(c) for c in key))
    )


def rows(connection: sa.Connection, table: str) -> Iterator[Sequence[Any]]:
    """Every row of ``table`` in primary-key order (all columns when it has no key)."""
    result = connection.execution_options(yield_per=_BATCH).execute(
        _ordered_select(connection, table)
    )
    for batch in result.partitions():
        for row in batch:
            yield tuple(row)


def digest(connection: sa.Connection, table: str) -> TableDigest:
    """How many rows ``table`` holds and the sha256 of their canonical form."""
    hashed = hashlib.sha256()
    count = 0
    for row in rows(connection, table):
        line = _ENCODE([v if type(v) in _PLAIN else canonical(v) for v in row])
        hashed.update(line.encode())
        hashed.update(b"\n")
        count += 1
    return TableDigest(rows=count, sha256=hashed.hexdigest())


def digests(connection: sa.Connection) -> dict[str, TableDigest]:
    """Every table's digest, by name."""
    return {table: digest(connection, table) for table in table_names(connection)}


def revision(connection: sa.Connection) -> str | None:
    """The Alembic revision the database is at (None: no fenpei schema)."""
    if "alembic_version" not in table_names(connection):
        return None
    found = connection.scalars(sa.text("SELECT version_num FROM alembic_version")).all()
    return ",".join(sorted(found)) or None
