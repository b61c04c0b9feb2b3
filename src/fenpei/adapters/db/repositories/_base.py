"""Shared by the SQL repositories: row locks, bulk inserts, conflicts as domain errors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fenpei.domain.errors import Conflict

# FOR NO KEY UPDATE, not FOR UPDATE: it still serialises writers of the row, but it lets
# other transactions insert rows that reference it (assignments name the rep a customer
# leaves). FOR UPDATE would block those foreign-key checks and deadlock two transfers
# going opposite ways between the same reps.
ROW_LOCK = {"key_share": True}


class _HasId(Protocol):
    id: int | None


def core_row(table: sa.Table, obj: object) -> dict[str, object]:
    """A domain object's values for a Core INSERT into ``table`` (its id if it has one)."""
    row = {column.name: getattr(obj, column.name) for column in table.columns}
    if row.get("id") is None:
        row.pop("id", None)
    return row


@contextmanager
def conflicts_as_domain_errors() -> Iterator[None]:
    """A unique key taken by a concurrent writer is a Conflict the caller can report."""
    try:
        yield
    except sa.exc.IntegrityError as exc:
        detail = str(exc.orig).splitlines()[0] if exc.orig else "constraint violated"
        raise Conflict(f"the data changed while saving ({detail}); try again") from exc


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _add_all(self, table: sa.Table, batch: Sequence[_HasId]) -> None:
        """Insert many rows fast: ids are drawn up front so no RETURNING is needed, and
        the driver can send one short statement many times (psycopg caches only short
        statements; multi-row INSERT ... RETURNING pages are long and re-parsed)."""
        fresh = [obj for obj in batch if obj.id is None]
        for obj, new_id in zip(fresh, self._allocate_ids(table, len(fresh)), strict=True):
            obj.id = new_id
        self.session.add_all(batch)
        with conflicts_as_domain_errors():
            self.session.flush()

    def _allocate_ids(self, table: sa.Table, count: int) -> list[int]:
        if count == 0:
            return []
        if self.session.get_bind().dialect.name == "postgresql":
            return list(
                self.session.scalars(
                    sa.text(
                        "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                        "FROM generate_series(1, :count)"
                    ),
                    {"table": table.name, "count": count},
                )
            )
        # SQLite: this transaction holds the database write lock (BEGIN IMMEDIATE), so
        # nobody else can insert between reading the largest id and using the next ones.
        start = (self.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
        return list(range(start, start + count))

    def _add(self, obj: object) -> None:
        self.session.add(obj)
        with conflicts_as_domain_errors():
            self.session.flush()
