"""Failed-login counters, one row per key (``user:<name>``, ``ip:<address>``)."""

from __future__ import annotations

from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.access import LoginFailures


class SqlLoginFailures(Repository):
    def get(self, key: str, *, lock: bool = False) -> LoginFailures | None:
        # A locked read goes to the database even if the row is in the session already
        # (populate_existing): after waiting for the lock, the count must be the committed one.
        return self.session.get(
            LoginFailures, key, with_for_update=True if lock else None, populate_existing=lock
        )

    def add(self, failures: LoginFailures) -> None:
        self._add(failures)  # a key inserted concurrently is a Conflict, raised at the flush

    def delete(self, key: str) -> None:
        # Through the session, not a bulk DELETE, so a row read earlier is not left stale.
        row = self.session.get(LoginFailures, key)
        if row is not None:
            self.session.delete(row)
            self.session.flush()
