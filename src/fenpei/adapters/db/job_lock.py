"""One process at a time for scheduled jobs: a PostgreSQL advisory lock, or a file lock
next to the SQLite database, so adding app processes never double-runs a job."""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa


@contextmanager
def job_lock(engine: sa.Engine, name: str) -> Iterator[bool]:
    """Yield True if this process holds the lock for ``name`` (else False: skip the run)."""
    if engine.dialect.name == "postgresql":
        key = zlib.crc32(f"fenpei:{name}".encode())
        with engine.connect() as connection:
            held = bool(connection.scalar(sa.select(sa.func.pg_try_advisory_lock(key))))
            try:
                yield held
            finally:
                if held:
                    connection.scalar(sa.select(sa.func.pg_advisory_unlock(key)))
                connection.commit()
        return
    database = engine.url.database
    folder = Path(database).resolve().parent if database else Path.cwd()
    with open(folder / f".fenpei-job-{name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
