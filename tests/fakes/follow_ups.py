"""Follow-ups and stage changes in memory."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from fenpei.domain.follow_ups import FollowUp, StageChange
from tests.fakes.store import Store


class FakeFollowUps:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, follow_up: FollowUp) -> None:
        self._store.add(self._store.follow_ups, follow_up)

    def get(self, follow_up_id: int, *, lock: bool = False) -> FollowUp | None:
        return self._store.follow_ups.rows.get(follow_up_id)

    def for_customer(self, customer_id: int, *, limit: int) -> list[FollowUp]:
        mine = [f for f in self._store.follow_ups if f.customer_id == customer_id]
        return sorted(mine, key=lambda f: (f.at, f.id or 0), reverse=True)[:limit]

    def count_for(self, customer_id: int) -> int:
        return sum(1 for f in self._store.follow_ups if f.customer_id == customer_id)

    def due_for_reminder(self, *, now: datetime, limit: int) -> list[FollowUp]:
        due = [
            f
            for f in self._store.follow_ups
            if f.reminded_at is None and f.next_at is not None and f.next_at <= now
        ]
        return sorted(due, key=lambda f: (f.next_at, f.id or 0))[:limit]

    def mark_reminded(self, follow_up_ids: Collection[int], *, at: datetime) -> list[int]:
        marked = []
        for follow_up_id in sorted(set(follow_up_ids)):
            row = self._store.follow_ups.rows.get(follow_up_id)
            if row is not None and row.reminded_at is None:
                row.reminded_at = at
                marked.append(follow_up_id)
        return marked


class FakeStageChanges:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, change: StageChange) -> None:
        self._store.add(self._store.stage_changes, change)

    def for_customer(self, customer_id: int, *, limit: int) -> list[StageChange]:
        mine = [c for c in self._store.stage_changes if c.customer_id == customer_id]
        return sorted(mine, key=lambda c: (c.at, c.id or 0), reverse=True)[:limit]

    def count_for(self, customer_id: int) -> int:
        return sum(1 for c in self._store.stage_changes if c.customer_id == customer_id)
