"""Backup and restore of the Maven demo database (8,800 customers and their history):
`fenpei backup`'s archive (a consistent snapshot, every table's checksum, gzip, then read
back and verified) and `fenpei restore` (checked, restored, every table verified) against
the bare copy each one is built on, same run: SQLite's online backup API and a file copy,
PostgreSQL's `pg_dump -Fc` / `pg_restore` alone."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from bench._databases import PG_ADMIN_URL, fresh_fenpei, kinds
from fenpei.adapters.backup.make import make_archive, restore_archive, verify_archive
from fenpei.adapters.backup.postgres import pg_env
from fenpei.adapters.maven import read_maven
from fenpei.bootstrap import Fenpei
from fenpei.cli.imports import BUNDLED_MAVEN
from fenpei.domain.users import SYSTEM
from fenpei.services.backups.manifest import BackupKind
from fenpei.services.maven_import import MavenData, import_maven

MAX = 64 * 1024**3


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _load(fenpei: Fenpei) -> int:
    data = read_maven(BUNDLED_MAVEN)
    assert isinstance(data, MavenData)
    with fenpei.uow() as uow:
        import_maven(uow=uow, data=data, actor=SYSTEM, now=fenpei.now())
        uow.commit()
    with fenpei.engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT count(*) FROM customers").scalar() or 0)


def _new_pg_database() -> str:
    name = f"fenpei_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)


def _drop_pg_database(url: str) -> None:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        name = sa.make_url(url).database
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _sqlite_backup(source: Path, dest: Path) -> None:
    """The online backup API alone: the consistent copy the archive starts from."""
    reading, writing = sqlite3.connect(source), sqlite3.connect(dest)
    reading.backup(writing)
    writing.close()
    reading.close()


def _tool(*args: str, url: str) -> None:
    subprocess.run(args, env=pg_env(sa.make_url(url)), check=True, capture_output=True)


def _one(kind: str) -> None:
    with fresh_fenpei(kind) as fenpei, tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        customers = _load(fenpei)
        url = fenpei.settings.database_url
        archive = work / "backup.tar.gz"
        made = _timed(
            lambda: make_archive(
                engine=fenpei.engine, files_dir=work / "no-files", dest=archive,
                kind=BackupKind.manual, now=fenpei.now(),
            )
        )  # fmt: skip
        checked = _timed(lambda: verify_archive(archive, engine=fenpei.engine, max_bytes=MAX))
        targets: list[str] = []
        if kind == "sqlite":
            source = Path(sa.make_url(url).database or "")
            bare_backup = _timed(lambda: _sqlite_backup(source, work / "copy.db"))
            target = f"sqlite:///{work / 'restored.db'}"
            bare_restore = _timed(lambda: shutil.copyfile(work / "copy.db", work / "copy2.db"))
        else:
            dump = work / "bare.pgdump"
            bare_backup = _timed(lambda: _tool("pg_dump", "-Fc", f"--file={dump}", url=url))
            bare_target = _new_pg_database()
            targets.append(bare_target)
            name = sa.make_url(bare_target).database or ""
            bare_restore = _timed(
                lambda: _tool("pg_restore", f"--dbname={name}", str(dump), url=bare_target)
            )
            target = _new_pg_database()
            targets.append(target)
        try:
            restored = _timed(
                lambda: restore_archive(
                    path=archive, database_url=target, files_dir=work / "files", max_bytes=MAX
                )
            )
        finally:
            for leftover in targets:
                _drop_pg_database(leftover)
        size = archive.stat().st_size / 1e6
        print(
            f"  {kind}: {customers} customers, archive {size:.1f} MB\n"
            f"    backup {made:.2f} s + verify {checked:.2f} s vs the bare snapshot "
            f"{bare_backup:.2f} s: {made / bare_backup:.1f}x, with verify "
            f"{(made + checked) / bare_backup:.1f}x\n"
            f"    restore+verify {restored:.2f} s vs bare restore {bare_restore:.2f} s: "
            f"{restored / bare_restore:.1f}x"
        )


def run() -> None:
    print("backup / restore (Maven demo database):")
    for kind in kinds():
        _one(kind)
