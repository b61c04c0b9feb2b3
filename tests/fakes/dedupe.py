"""Duplicate pairs and merges in the store; the rows a merge moves: follow-ups, stage
changes, SLA clocks, tasks and assignments held in the store."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fenpei.adapters.db import tables
from fenpei.domain.dedupe import CustomerMerge, DuplicatePair, PairStatus
from fenpei.engine.dedupe import KeyedCustomer
from tests.fakes.store import Store, Table

# The store's tables a merge carries over, as (attribute, column) like the SQL MOVES.
_MOVES = (
    ("assignments", "customer_id"),
    ("follow_ups", "customer_id"),
    ("stage_changes", "customer_id"),
    ("sla_clocks", "customer_id"),
    ("tasks", "customer_id"),
)


class FakeDedupe:
    def __init__(self, store: Store) -> None:
        self._store = store
        if not isinstance(getattr(store, "duplicate_pairs", None), Table):
            store.duplicate_pairs = Table(tables.duplicate_pairs)  # type: ignore[attr-defined]
            store.customer_merges = Table(tables.customer_merges)  # type: ignore[attr-defined]

    @property
    def _pairs(self) -> Table[DuplicatePair]:
        return self._store.duplicate_pairs  # type: ignore[attr-defined, no-any-return]

    @property
    def _merges(self) -> Table[CustomerMerge]:
        return self._store.customer_merges  # type: ignore[attr-defined, no-any-return]

    def _live(self, customer_id: int) -> bool:
        c = self._store.customers.rows.get(customer_id)
        return c is not None and c.deleted_at is None

    def keyed_customers(self, *, ids: Sequence[int] | None = None) -> list[KeyedCustomer]:
        wanted = set(ids) if ids is not None else None
        return [
            KeyedCustomer(c.id, c.phone_key, c.email_key, c.company_key, c.company_name)
            for c in sorted(self._store.customers, key=lambda c: c.id or 0)
            if c.id is not None and c.deleted_at is None and (wanted is None or c.id in wanted)
        ]

    def _listed(self, status: PairStatus | None) -> list[DuplicatePair]:
        return sorted(
            (
                copy.copy(p) for p in self._pairs
                if (status is None or p.status is status)
                and self._live(p.low_id) and self._live(p.high_id)
            ),
            key=lambda p: (-p.score, p.id or 0),
        )  # fmt: skip

    def pairs(self, *, status: PairStatus | None, limit: int, offset: int) -> list[DuplicatePair]:
        return self._listed(status)[offset : offset + limit]

    def count_pairs(self, *, status: PairStatus | None) -> int:
        return len(self._listed(status))

    def all_pairs(self) -> list[DuplicatePair]:
        return [copy.copy(p) for p in self._pairs]

    def get_pair(self, pair_id: int, *, lock: bool = False) -> DuplicatePair | None:
        found = self._pairs.rows.get(pair_id)
        return copy.copy(found) if found is not None else None

    def find_pair(self, low_id: int, high_id: int) -> DuplicatePair | None:
        for p in self._pairs:
            if (p.low_id, p.high_id) == (low_id, high_id):
                return copy.copy(p)
        return None

    def add_pairs(self, pairs: Sequence[DuplicatePair]) -> None:
        for pair in pairs:
            self._pairs.insert(copy.copy(pair))

    def update_pair(self, pair: DuplicatePair) -> None:
        self._pairs.rows[pair.id] = copy.copy(pair)

    def delete_pairs(self, ids: Sequence[int]) -> None:
        for pair_id in ids:
            self._pairs.remove(pair_id)

    def move_rows(self, *, from_id: int, to_id: int) -> dict[str, list[Any]]:
        moved: dict[str, list[Any]] = {}
        for name, column in _MOVES:
            rows = [r for r in getattr(self._store, name) if getattr(r, column) == from_id]
            for row in rows:
                setattr(row, column, to_id)
            if rows:
                moved[name] = [r.id for r in rows]
        return moved

    def move_back(self, *, moved: dict[str, list[Any]], from_id: int, to_id: int) -> list[str]:
        table_rows = {name: getattr(self._store, name).rows for name in moved}
        missing = [
            name for name, ids in moved.items()
            if any(getattr(table_rows[name].get(i), "customer_id", None) != to_id for i in ids)
        ]  # fmt: skip
        if missing:
            return missing
        for name, ids in moved.items():
            for row_id in ids:
                table_rows[name][row_id].customer_id = from_id
        return []

    def add_merge(self, merge: CustomerMerge) -> CustomerMerge:
        self._merges.insert(copy.deepcopy(merge))
        merge.id = self._merges.next_id - 1
        return merge

    def get_merge(self, merge_id: int, *, lock: bool = False) -> CustomerMerge | None:
        found = self._merges.rows.get(merge_id)
        return copy.deepcopy(found) if found is not None else None

    def merges(self, *, limit: int, offset: int) -> list[CustomerMerge]:
        done = sorted(self._merges, key=lambda m: -(m.id or 0))
        return [copy.deepcopy(m) for m in done[offset : offset + limit]]

    def later_merges(self, merge: CustomerMerge) -> list[CustomerMerge]:
        ids = {merge.survivor_id, merge.loser_id}
        return [
            copy.deepcopy(m) for m in self._merges
            if (m.id or 0) > (merge.id or 0) and m.undone_at is None
            and ids & {m.survivor_id, m.loser_id}
        ]  # fmt: skip

    def mark_undone(self, merge_id: int, *, at: datetime, by: str) -> None:
        merge = self._merges.rows[merge_id]
        merge.undone_at, merge.undone_by = at, by
