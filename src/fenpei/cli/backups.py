"""`fenpei backup`, `fenpei restore` and `fenpei backups list`: a consistent snapshot of the
whole database and the attachment files in one archive, and its restore into an empty
database, verified table by table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.table import Table

from fenpei.adapters.backup.archive import ArchiveRefused
from fenpei.adapters.backup.make import (
    VerificationFailed,
    make_archive,
    restore_archive,
    verify_archive,
)
from fenpei.adapters.backup.postgres import ToolFailed
from fenpei.adapters.backup.sqlite import TargetNotEmpty
from fenpei.adapters.backup.store import directory_backups
from fenpei.cli._common import _check_schema as check_schema
from fenpei.cli._common import console, err_console, fenpei_app, load_settings
from fenpei.cli._errors import CannotRun
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
        Path | None,
        typer.Option(
            help="Write the archive here (.tar.gz) instead of into FENPEI_BACKUP_DIR.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Back up the whole database (a consistent snapshot) and the attachment files into one
    verified archive."""
    with fenpei_app(schema=False) as fenpei:
        try:
            if out is None:
                store = directory_backups(fenpei.settings, fenpei.engine)
                entry = catalog.back_up_now(
                    store=store, uow_factory=fenpei.uow, actor=SYSTEM, now=fenpei.now()
                )
                if not entry.verified:
                    raise VerificationFailed([entry.problem])
                path = store.path_of(entry.name)
            else:
                path = out
                make_archive(
                    engine=fenpei.engine,
                    files_dir=fenpei.settings.files_dir,
                    dest=out,
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
    archive: Annotated[
        Path,
        typer.Argument(help="The backup archive (.tar.gz).", exists=True, dir_okay=False),
    ],
    database_url: Annotated[
        str,
        typer.Option(
            help="The EMPTY database to restore into (a new SQLite file, or an "
            "empty PostgreSQL database made with CREATE DATABASE)."
        ),
    ],
    files_dir: Annotated[
        Path | None,
        typer.Option(help="Where the attachment files go (empty or new; FENPEI_FILES_DIR)."),
    ] = None,
) -> None:
    """Restore a backup into an empty database, then verify every table's rows and
    checksum against the backup's manifest. A non-empty target is refused untouched."""
    settings = load_settings()
    try:
        report = restore_archive(
            path=archive,
            database_url=database_url,
            files_dir=files_dir or settings.files_dir,
            max_bytes=settings.backup_max_restore_bytes,
        )
    except (ArchiveRefused, TargetNotEmpty, VerificationFailed, ToolFailed, ValueError) as exc:
        raise _refused(exc) from None
    m = report.manifest
    _say_if_an_upgrade_is_due(database_url)
    console.print(
        f"restored {m.database_kind.value} backup of {m.created_at.isoformat()} "
        f"(fenpei {m.fenpei_version}, schema {m.alembic_revision}): {report.tables} tables, "
        f"{report.rows} rows, {report.files} files; every table verified",
        soft_wrap=True,
    )


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
    with fenpei_app(schema=False) as fenpei:
        store = directory_backups(fenpei.settings, fenpei.engine)
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
