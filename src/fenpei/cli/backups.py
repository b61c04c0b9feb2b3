"""`fenpei backup`, `fenpei restore` and `fenpei backups list`: a consistent snapshot of the
whole database and the attachment files in one archive, and its restore into an empty
database, verified table by table."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.table import Table

from fenpei.adapters.backup.archive import ArchiveRefused, read_manifest
from fenpei.adapters.backup.make import (
    VerificationFailed,
    make_archive,
    restore_archive,
    verify_archive,
)
from fenpei.adapters.backup.postgres import ToolFailed
from fenpei.adapters.backup.sqlite import TargetNotEmpty
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.cli._common import (
    UPGRADE_HINT,
    console,
    database_revisions,
    err_console,
    load_settings,
    shown_url,
)
from fenpei.cli._common import _check_schema as check_schema
from fenpei.cli._errors import BadArgument, CannotRun
from fenpei.cli._output import say_error
from fenpei.domain.users import SYSTEM
from fenpei.services.backups import catalog
from fenpei.services.backups.manifest import BackupKind

app = typer.Typer(help="Backups (备份): list the archives in FENPEI_BACKUP_DIR.")


def _refused(exc: Exception) -> typer.Exit:
    say_error(str(exc) if not isinstance(exc, VerificationFailed) else "verification failed")
    if isinstance(exc, VerificationFailed):
        for problem in exc.problems:
            err_console.print(f"  {problem}", soft_wrap=True)
    return typer.Exit(1)


def backup(
    out: Annotated[
        str | None,
        typer.Option(
            help="Write the archive here (.tar.gz) instead of into FENPEI_BACKUP_DIR.",
            metavar="FILE",
        ),
    ] = None,
) -> None:
    """Back up the whole database (a consistent snapshot) and the attachment files into one
    verified archive."""
    with _fenpei_with_any_schema() as fenpei:
        try:
            if out is None:
                store = fenpei.backups()
                entry = catalog.back_up_now(
                    store=store, uow_factory=fenpei.uow, actor=SYSTEM, now=fenpei.now()
                )
                if not entry.verified:
                    raise VerificationFailed([entry.problem])
                path = store.path_of(entry.name)
            else:
                path = _output_file(out)
                make_archive(
                    engine=fenpei.engine,
                    files_dir=fenpei.settings.files_dir,
                    dest=path,
                    kind=BackupKind.manual,
                    now=fenpei.now(),
                )
            manifest = verify_archive(
                path, engine=fenpei.engine, max_bytes=fenpei.settings.backup_max_restore_bytes
            )
        except (ArchiveRefused, VerificationFailed, ToolFailed) as exc:
            raise _refused(exc) from None
    rows = sum(d.rows for d in manifest.tables.values())
    console.print(
        f"backup {path} ({path.stat().st_size} bytes): {manifest.database_kind.value}, "
        f"{len(manifest.tables)} tables, {rows} rows, {len(manifest.files)} files; verified",
        soft_wrap=True,
    )


def restore(
    archive: Annotated[Path, typer.Argument(help="The backup archive (.tar.gz).")],
    database_url: Annotated[
        str,
        typer.Option(
            help="The EMPTY database to restore into (a new SQLite file, or an "
            "empty PostgreSQL database made with CREATE DATABASE)."
        ),
    ],
    files_dir: Annotated[
        str | None,
        typer.Option(
            help="Where the attachment files go (empty or new; FENPEI_FILES_DIR).",
            metavar="DIRECTORY",
        ),
    ] = None,
) -> None:
    """Restore a backup into an empty database, then verify every table's rows and
    checksum against the backup's manifest. A non-empty target is refused untouched."""
    settings = load_settings()
    _check_archive(archive, max_bytes=settings.backup_max_restore_bytes)
    try:
        sa.make_url(database_url)
    except sa.exc.ArgumentError:
        raise BadArgument("--database-url", "is not a database URL") from None
    folder = Path(files_dir) if files_dir is not None else settings.files_dir
    if folder.exists() and not folder.is_dir():
        raise BadArgument("--files-dir", "is not a directory", path=folder)
    try:
        report = restore_archive(
            path=archive,
            database_url=database_url,
            files_dir=folder,
            max_bytes=settings.backup_max_restore_bytes,
        )
    except ArchiveRefused as exc:
        raise BadArgument("ARCHIVE", str(exc), path=archive) from None
    except (TargetNotEmpty, VerificationFailed, ToolFailed, ValueError) as exc:
        raise _refused(exc) from None
    m = report.manifest
    _say_if_an_upgrade_is_due(database_url)
    console.print(
        f"restored {m.database_kind.value} backup of {m.created_at.isoformat()} "
        f"(fenpei {m.fenpei_version}, schema {m.alembic_revision}): {report.tables} tables, "
        f"{report.rows} rows, {report.files} files; every table verified",
        soft_wrap=True,
    )


def _check_archive(path: Path, *, max_bytes: int) -> None:
    """``path`` is a regular file within the bound whose first member is a valid manifest
    (BadArgument naming ARCHIVE otherwise); nothing else is read yet."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        raise BadArgument("ARCHIVE", "does not exist", path=path) from None
    if not stat.S_ISREG(info.st_mode):
        raise BadArgument("ARCHIVE", "is not a regular file", path=path)
    if info.st_size > max_bytes:
        raise BadArgument(
            "ARCHIVE",
            f"is too large ({info.st_size:,} bytes; at most {max_bytes:,}: "
            "FENPEI_BACKUP_MAX_RESTORE_BYTES)",
            path=path,
        )
    try:
        read_manifest(path)
    except ArchiveRefused as exc:
        raise BadArgument("ARCHIVE", str(exc), path=path) from None


def _output_file(out: str) -> Path:
    """Where ``--out`` writes: a new or regular file in an existing folder."""
    path = Path(out)
    if path.exists() and not path.is_file():
        raise BadArgument("--out", "is not a regular file", path=path)
    if not path.parent.is_dir():
        raise BadArgument("--out", "is in a folder that does not exist", path=path)
    return path


@contextmanager
def _fenpei_with_any_schema() -> Iterator[Fenpei]:
    """fenpei over a database holding a fenpei schema, older ones too: a backup is what one
    makes before `fenpei db upgrade`. One without any has nothing to back up (a missing
    SQLite file is not created by asking)."""
    app = bootstrap(load_settings())
    try:
        if not database_revisions(app.engine):
            url = shown_url(app.engine)
            raise CannotRun(f"the database at {url} has no fenpei schema: {UPGRADE_HINT}")
        yield app
    finally:
        app.close()


def _say_if_an_upgrade_is_due(database_url: str) -> None:
    """A backup of an older fenpei restores its older schema: say what to run next."""
    engine = sa.create_engine(database_url)
    try:
        check_schema(engine)
    except CannotRun as exc:
        console.print(f"note: {exc}", soft_wrap=True)
    finally:
        engine.dispose()


@app.command("list")
def list_backups() -> None:
    """The backups in FENPEI_BACKUP_DIR, newest first."""
    with _fenpei_with_any_schema() as fenpei:
        store = fenpei.backups()
        table = Table("name", "created (UTC)", "kind", "database", "bytes", "verified")
        for e in catalog.list_backups(store=store, actor=SYSTEM):
            table.add_row(
                e.name,
                e.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                e.kind.value,
                e.database_kind.value if e.database_kind else "",
                str(e.size),
                "yes" if e.verified else ("no: " + e.problem if e.verified is False else ""),
            )
        console.print(table)
