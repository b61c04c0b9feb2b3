"""``FakeLoginFailures``: failed-login counters over the store, mirroring ``SqlLoginFailures``."""

from __future__ import annotations

from collections.abc import Sequence

from fenpei.domain.access import LoginFailures
from fenpei.domain.errors import Conflict
from tests.fakes.store import Store


class FakeLoginFailures:
    def __init__(self, store: Store) -> None:
        self._store = store

    def serialize(self, keys: Sequence[str]) -> None:
        """Nothing to do: the fakes run one transaction at a time."""

    def get(self, key: str, *, lock: bool = False) -> LoginFailures | None:
        return self._store.login_failures.rows.get(key)

    def add(self, failures: LoginFailures) -> None:
        # The store keys rows by primary key and would overwrite; the database refuses.
        if failures.key in self._store.login_failures.rows:
            raise Conflict(f"the data changed while saving (login_failures {failures.key!r})")
        self._store.add(self._store.login_failures, failures)

    def delete(self, key: str) -> None:
        self._store.login_failures.rows.pop(key, None)
