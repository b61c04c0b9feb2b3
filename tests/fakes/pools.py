"""Pools' terms in memory."""

from __future__ import annotations

from fenpei.domain.pools import Pool
from tests.fakes.store import Store


class FakePools:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, pool: Pool) -> None:
        self._store.add(self._store.pools, pool)

    def get(self, key: str, *, lock: bool = False) -> Pool | None:
        found = next((p for p in self._store.pools if p.key == key), None)
        if lock and found is not None:
            self._store.lock("pool", [found.id or 0])
        return found

    def all(self) -> list[Pool]:
        return sorted(self._store.pools, key=lambda p: p.key)
