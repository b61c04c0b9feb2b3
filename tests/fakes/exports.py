"""Export reads over the store: the customer list's filter, keyset batches, named tuples."""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime
from typing import Any

from fenpei.services import ports
from fenpei.services.exports.ports import (
    ASSIGNMENT_FIELDS,
    CUSTOMER_FIELDS,
    FOLLOW_UP_FIELDS,
    TASK_FIELDS,
    RecordFilter,
)
from tests.fakes.repositories import _matches
from tests.fakes.store import Store

CustomerRow = namedtuple("CustomerRow", CUSTOMER_FIELDS)  # type: ignore[misc]
_ROWS = {
    "assignments": namedtuple("AssignmentRow", ASSIGNMENT_FIELDS),  # type: ignore[misc]
    "follow_ups": namedtuple("FollowUpRow", FOLLOW_UP_FIELDS),  # type: ignore[misc]
    "tasks": namedtuple("TaskRow", TASK_FIELDS),  # type: ignore[misc]
}


class FakeExports:
    def __init__(self, store: Store) -> None:
        self._store = store
        self.saved: bool | None = None  # not rolled back with the store: a fake's shortcut

    def count_customers(self, query: ports.CustomerQuery) -> int:
        return sum(1 for c in self._store.customers if _matches(c, query))

    def customer_rows(self, query: ports.CustomerQuery, *, after_id: int, limit: int) -> list[Any]:
        found = sorted(
            (c for c in self._store.customers if _matches(c, query) and (c.id or 0) > after_id),
            key=lambda c: c.id or 0,
        )
        return [CustomerRow(*(getattr(c, f) for f in CUSTOMER_FIELDS)) for c in found[:limit]]

    def reps_may_export(self) -> bool | None:
        return self.saved

    def save_reps_may_export(self, value: bool, *, by: str, at: datetime) -> None:
        self.saved = value

    def count_records(self, table: str, where: RecordFilter) -> int:
        return len(self._rows(table, where))

    def record_rows(
        self, table: str, where: RecordFilter, *, after_id: int, limit: int
    ) -> list[Any]:
        return [row for row in self._rows(table, where) if row.id > after_id][:limit]

    def _rows(self, table: str, where: RecordFilter) -> list[Any]:
        customers = {c.id: c for c in self._store.customers}
        rows = []
        for record in sorted(getattr(self._store, table), key=lambda r: r.id or 0):
            customer = customers.get(getattr(record, "customer_id", None))
            values = {f: getattr(record, f, None) for f in _ROWS[table]._fields}
            values["customer_name"] = customer.name if customer is not None else None
            if table == "tasks":
                seen = where.rep_ids is None or (
                    record.assignee_id in where.rep_ids
                    or (record.team_id is not None and record.team_id in where.team_ids)
                    or (
                        where.creator_user_id is not None
                        and record.created_by_user_id == where.creator_user_id
                    )
                )
                at, rep = record.created_at, record.assignee_id
            else:
                if customer is None or customer.deleted_at is not None:
                    continue
                seen = where.rep_ids is None or (
                    customer.owner_id in where.rep_ids or customer.team_id in where.team_ids
                )
                at = record.at
                rep = record.to_rep_id if table == "assignments" else record.rep_id
            if not seen or (where.rep_id is not None and rep != where.rep_id):
                continue
            if (where.since and at < where.since) or (where.until and at >= where.until):
                continue
            rows.append(_ROWS[table](**values))
        return rows
