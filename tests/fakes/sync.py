"""``FakeSync``: CRM sync's rows over the store (tables added to it on first use),
mirroring ``SqlSync``."""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from fenpei.adapters.db import tables
from fenpei.domain.errors import Conflict
from fenpei.domain.sync import AssignmentRow, PushRow, PushStatus, SyncState
from tests.fakes.store import Store, Table


@dataclass
class _Link:
    connection: str
    module: str
    external_id: str
    customer_id: int
    linked_at: datetime
    id: int | None = None


@dataclass
class _Push:
    connection: str
    assignment_id: int
    customer_id: int
    external_id: str | None
    owner_external_id: str | None
    status: str
    note: str | None
    updated_at: datetime
    id: int | None = None


class FakeSync:
    def __init__(self, store: Store) -> None:
        self._store = store
        for name, table in (
            ("sync_state", tables.sync_state),
            ("sync_links", tables.sync_links),
            ("sync_pushes", tables.sync_pushes),
        ):
            if not isinstance(getattr(store, name, None), Table):
                setattr(store, name, Table(table))

    def _table(self, name: str) -> Table[object]:
        found = getattr(self._store, name)
        assert isinstance(found, Table)
        return found

    def state(self, connection: str, *, lock: bool = False) -> SyncState:
        row = self._table("sync_state").rows.get(connection)
        return copy.deepcopy(row) if isinstance(row, SyncState) else SyncState(connection)

    def save_state(self, state: SyncState) -> None:
        self._table("sync_state").rows[state.connection] = copy.deepcopy(state)

    def all_states(self) -> list[SyncState]:
        return [self.state(name) for name in self._table("sync_state").rows]

    def _links(self) -> list[_Link]:
        return [row for row in self._table("sync_links").rows.values() if isinstance(row, _Link)]

    def customer_of(self, connection: str, module: str, external_id: str) -> int | None:
        return next(
            (
                link.customer_id
                for link in self._links()
                if (link.connection, link.module, link.external_id)
                == (connection, module, external_id)
            ),
            None,
        )

    def externals_of(
        self, connection: str, module: str, customer_ids: Collection[int]
    ) -> dict[int, str]:
        wanted = set(customer_ids)
        return {
            link.customer_id: link.external_id
            for link in self._links()
            if (link.connection, link.module) == (connection, module) and link.customer_id in wanted
        }

    def link(
        self, connection: str, module: str, external_id: str, customer_id: int, now: datetime
    ) -> None:
        for link in self._links():
            if (link.connection, link.module) != (connection, module):
                continue
            if link.external_id == external_id or link.customer_id == customer_id:
                raise Conflict(f"the data changed while saving (sync_links {external_id!r})")
        self._table("sync_links").insert(_Link(connection, module, external_id, customer_id, now))

    def link_count(self, connection: str) -> int:
        return sum(1 for link in self._links() if link.connection == connection)

    def assignments_after(self, after_id: int, *, limit: int) -> list[AssignmentRow]:
        found = sorted(
            (a for a in self._store.assignments if a.id is not None and a.id > after_id),
            key=lambda a: a.id or 0,
        )[:limit]
        return [
            AssignmentRow(
                a.id or 0, a.customer_id, a.from_rep_id, a.to_rep_id, a.method.value, a.at
            )
            for a in found
        ]

    def _pushes(self) -> list[_Push]:
        return [row for row in self._table("sync_pushes").rows.values() if isinstance(row, _Push)]

    def add_push(
        self,
        *,
        connection: str,
        assignment_id: int,
        customer_id: int,
        external_id: str | None,
        owner_external_id: str | None,
        status: PushStatus,
        note: str | None,
        now: datetime,
    ) -> None:
        if any(
            (p.connection, p.assignment_id) == (connection, assignment_id) for p in self._pushes()
        ):
            raise Conflict(f"the data changed while saving (sync_pushes {assignment_id})")
        self._table("sync_pushes").insert(
            _Push(connection, assignment_id, customer_id, external_id, owner_external_id,
                  status.value, note, now)
        )  # fmt: skip

    def pushes(
        self, connection: str, statuses: Collection[PushStatus], *, limit: int
    ) -> list[PushRow]:
        wanted = {s.value for s in statuses}
        found = sorted(
            (p for p in self._pushes() if p.connection == connection and p.status in wanted),
            key=lambda p: p.id or 0,
        )[:limit]
        return [
            PushRow(
                p.id or 0,
                p.external_id or "",
                p.owner_external_id,
                p.assignment_id,
                PushStatus(p.status),
            )
            for p in found
        ]

    def set_push_status(
        self, push_ids: Collection[int], status: PushStatus, *, now: datetime, note: str | None
    ) -> None:
        rows = self._table("sync_pushes").rows
        for push_id in push_ids:
            row = rows[push_id]
            assert isinstance(row, _Push)
            row.status, row.note, row.updated_at = status.value, note, now

    def push_counts(self, connection: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for p in self._pushes():
            if p.connection == connection:
                counts[p.status] = counts.get(p.status, 0) + 1
        return counts
