"""Failed-login counters, one row per key (``user:<name>``, ``ip:<address>``)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import sqlalchemy as sa

from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.access import LoginFailures


class SqlLoginFailures(Repository):
    def serialize(self, keys: Sequence[str]) -> None:
        # PostgreSQL: transaction advisory locks, taken in sorted order. Row locks alone are
        # not enough: a missing row cannot be locked, and two attempts inserting the two
        # missing counters while another updates one of them deadlocked (seen under load).
        # SQLite has one writer at a time already.
        if self.session.get_bind().dialect.name != "postgresql":
            return
        for key in sorted(set(keys)):
            lock_id = zlib.crc32(f"fenpei:login:{key}".encode())
            self.session.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_id)))

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
