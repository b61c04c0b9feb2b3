"""Making a backup archive, verifying one, and restoring one into an empty database."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from fenpei import __version__
from fenpei.adapters.backup import archive, postgres, sqlite
from fenpei.adapters.backup.archive import ArchiveRefused
from fenpei.adapters.backup.sqlite import TargetNotEmpty
from fenpei.services.backups.manifest import (
    BackupKind,
    DatabaseKind,
    Manifest,
    StoredFile,
    TableDigest,
    differences,
)

DATABASE_FILE = {
    DatabaseKind.sqlite: "database/fenpei.sqlite3",
    DatabaseKind.postgresql: "database/fenpei.pgdump",
}
FILES_NOTE = (
    "Attachment files from the local files folder (FENPEI_FILES_DIR) are under files/. "
    "With S3-compatible storage the attachments stay in the bucket and are not in this archive."
)


class VerificationFailed(Exception):
    """The restored database (or a fresh backup) does not match its manifest."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("verification failed: " + "; ".join(problems[:20]))


@dataclass(frozen=True)
class RestoreReport:
    manifest: Manifest
    tables: int
    rows: int
    files: int


def database_kind(url: sa.URL) -> DatabaseKind:
    backend = url.get_backend_name()
    if backend == "sqlite":
        return DatabaseKind.sqlite
    if backend == "postgresql":
        return DatabaseKind.postgresql
    raise ValueError(f"cannot back up or restore a {backend!r} database (SQLite or PostgreSQL)")


@contextmanager
def _staging(near: Path | None) -> Iterator[Path]:
    if near is not None:
        near.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".fenpei-backup-", dir=near))
    try:
        yield folder
    finally:
        archive.remove_tree(folder)


def make_archive(
    *, engine: sa.Engine, files_dir: Path, dest: Path, kind: BackupKind, now: datetime
) -> Manifest:
    """Snapshot the database behind ``engine`` and the files under ``files_dir`` into the
    archive ``dest`` (written atomically); its manifest."""
    db_kind = database_kind(engine.url)
    with _staging(dest.parent) as staging:
        db_path = staging / DATABASE_FILE[db_kind]
        db_path.parent.mkdir(parents=True)
        snap = sqlite.snapshot if db_kind is DatabaseKind.sqlite else postgres.snapshot
        tables, revision = snap(engine, db_path)
        database = StoredFile(
            DATABASE_FILE[db_kind], db_path.stat().st_size, archive.sha256_of(db_path)
        )
        files = []
        for source, relative in archive.files_under(files_dir):
            name = f"files/{relative}"
            copied = archive.copy_hashed(source, staging / name)
            files.append(StoredFile(name, copied.size, copied.sha256))
        manifest = Manifest(
            fenpei_version=__version__,
            alembic_revision=revision,
            database_kind=db_kind,
            created_at=now,
            kind=kind,
            tables=tables,
            database=database,
            files=files,
            files_note=FILES_NOTE,
        )
        archive.write(dest, manifest, staging)
    return manifest


def verify_archive(path: Path, *, engine: sa.Engine, max_bytes: int) -> Manifest:
    """Read the archive back: every member against the manifest, and the snapshot itself
    (SQLite: its table checksums; PostgreSQL: pg_restore reads the dump). Raises
    ArchiveRefused or VerificationFailed."""
    with _staging(path.parent) as staging:
        manifest = archive.unpack(path, staging, max_bytes=max_bytes)
        snapshot = staging / manifest.database.path
        if manifest.database_kind is DatabaseKind.sqlite:
            problems = differences(manifest.tables, sqlite.describe(snapshot)[0])
            if problems:
                raise VerificationFailed(problems)
        else:
            postgres.list_dump(snapshot, engine.url)
    return manifest


def restore_archive(
    *, path: Path, database_url: str, files_dir: Path, max_bytes: int
) -> RestoreReport:
    """Restore the archive at ``path`` into the empty database at ``database_url`` and the
    empty (or missing) ``files_dir``, then verify every table against the manifest.
    Nothing is touched unless the archive checks out and both targets are empty."""
    url = sa.make_url(database_url)
    kind = database_kind(url)
    with _staging(None) as staging:
        manifest = archive.unpack(path, staging, max_bytes=max_bytes)
        if manifest.database_kind is not kind:
            raise ArchiveRefused(
                f"the backup holds a {manifest.database_kind.value} database; "
                f"--database-url points at {kind.value}"
            )
        if manifest.files and any(True for _ in archive.files_under(files_dir)):
            raise TargetNotEmpty(
                f"the files folder {str(files_dir)!r} is not empty: restore the attachments "
                "into a new folder (FENPEI_FILES_DIR / --files-dir)"
            )
        snapshot = staging / manifest.database.path
        found = _restore_database(kind, snapshot, url)
        problems = differences(manifest.tables, found)
        if problems:
            if kind is DatabaseKind.sqlite:
                sqlite.database_path(url).unlink(missing_ok=True)
            raise VerificationFailed(problems)
        archive.place_files(staging, manifest.files, files_dir)
    return RestoreReport(
        manifest=manifest,
        tables=len(found),
        rows=sum(d.rows for d in found.values()),
        files=len(manifest.files),
    )


def _restore_database(kind: DatabaseKind, snapshot: Path, url: sa.URL) -> dict[str, TableDigest]:
    if kind is DatabaseKind.sqlite:
        return sqlite.restore(snapshot, url)
    engine = sa.create_engine(url)
    try:
        return postgres.restore(snapshot, engine)
    finally:
        engine.dispose()


def check_target_empty(database_url: str) -> None:
    """TargetNotEmpty when the database at ``database_url`` holds tables."""
    url = sa.make_url(database_url)
    if database_kind(url) is DatabaseKind.sqlite:
        sqlite.check_empty(url)
        return
    engine = sa.create_engine(url)
    try:
        postgres.check_empty(engine)
    finally:
        engine.dispose()
