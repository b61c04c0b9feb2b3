"""SQLite: a snapshot by the online backup API (consistent while the app writes: WAL lets
the writers go on while the copy reads one version of the database), restored by copying
the snapshot into place."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from fenpei.adapters.backup import checksums
from fenpei.services.backups.manifest import TableDigest


class TargetNotEmpty(Exception):
    """The database to restore into already holds tables."""


def database_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise ValueError(f"{url.render_as_string()}: a SQLite database needs a file path")
    return Path(url.database)


def snapshot(engine: sa.Engine, dest: Path) -> tuple[dict[str, TableDigest], str | None]:
    """Copy the database behind ``engine`` to ``dest`` in one step (one read transaction:
    every table from the same moment); the snapshot's digests and schema revision."""
    source = sqlite3.connect(database_path(engine.url), timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)  # pages=-1: all at once, so no write can land in between
    finally:
        target.close()
        source.close()
    return describe(dest)


def describe(path: Path) -> tuple[dict[str, TableDigest], str | None]:
    """The digests and schema revision of the SQLite file at ``path`` (only read)."""
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return checksums.digests(connection), checksums.revision(connection)
    finally:
        engine.dispose()


def table_count(path: Path) -> int:
    if not path.exists() or path.stat().st_size == 0:
        return 0
    connection = sqlite3.connect(path)
    try:
        (count,) = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view')"
        ).fetchone()
        return int(count)
    finally:
        connection.close()


def check_empty(url: sa.URL) -> Path:
    """The file to restore into; TargetNotEmpty when it holds any table."""
    path = database_path(url)
    tables = table_count(path)
    if tables:
        raise TargetNotEmpty(
            f"the SQLite database {str(path)!r} is not empty ({tables} tables): restore "
            "into a new file (or delete this one first)"
        )
    return path


def restore(snapshot_file: Path, url: sa.URL) -> dict[str, TableDigest]:
    """Put ``snapshot_file`` in place as the (empty or missing) database at ``url``; the
    restored database's digests, read back from where it now lies."""
    path = check_empty(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.restoring")
    shutil.copyfile(snapshot_file, partial)
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    os.replace(partial, path)
    return describe(path)[0]
