"""The scheduled backup: real archives in the backup folder, retention over days of a
controlled clock, once across processes (the job lock), and SQLite snapshots that stay
consistent while another connection writes."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from fenpei.adapters.backup import sqlite as sqlite_backup
from fenpei.adapters.backup.store import directory_backups
from fenpei.adapters.db.engine import make_engine
from fenpei.adapters.db.job_lock import job_lock
from fenpei.bootstrap import Fenpei
from fenpei.jobs.registry import scheduled_jobs
from fenpei.services.backups.entries import BackupFailed
from fenpei.services.backups.manifest import BackupKind
from fenpei.services.scheduling import find_job, run_due
from tests.fakes import FixedClock


def _backup_job(app: Fenpei, **settings: object) -> list[str]:
    """Set ``settings``, run the backup job's current slot; what the folder holds."""
    app.settings = app.settings.model_copy(update=settings)
    job = find_job(scheduled_jobs(app), "backup")
    run_due(uow_factory=app.uow, jobs=[job], now=app.now, worker="w1")
    return sorted(p.name for p in app.settings.backup_dir.glob("fenpei-*.tar.gz"))


def test_daily_runs_keep_exactly_the_newest_daily_and_weekly_archives(
    app: Fenpei, clock: FixedClock
) -> None:
    kept: list[str] = []
    for _ in range(12):  # Monday 2026-11-02 through Friday 2026-11-13, 09:30 UTC
        kept = _backup_job(app, backup_keep_daily=3, backup_keep_weekly=2)
        clock.advance(days=1)

    assert kept == [
        "fenpei-20261102-093000-weekly.tar.gz",
        "fenpei-20261109-093000-weekly.tar.gz",
        "fenpei-20261111-093000-daily.tar.gz",
        "fenpei-20261112-093000-daily.tar.gz",
        "fenpei-20261113-093000-daily.tar.gz",
    ]
    notes = sorted(p.name for p in app.settings.backup_dir.glob(".*.json"))
    assert notes == [f".{name}.json" for name in kept]  # removed with their archives


def test_a_scheduled_backup_is_verified_and_listed(app: Fenpei) -> None:
    kept = _backup_job(app)

    assert kept == ["fenpei-20261102-093000-weekly.tar.gz"]
    with app.uow(read_only=True) as uow:
        (run,) = uow.job_runs.history(job="backup", limit=5)
    assert run.status.value == "done" and run.summary is not None
    assert run.summary.startswith(f"{kept[0]} (") and run.summary.endswith(
        "bytes, verified); 0 old removed"
    )


def test_while_another_process_holds_the_job_the_run_is_skipped(app: Fenpei) -> None:
    job = find_job(scheduled_jobs(app), "backup")

    with job_lock(app.engine, "backup") as held:
        assert held
        summary = job.run()

    assert summary == "skipped: another process is backing up"
    assert not app.settings.backup_dir.exists() or not any(app.settings.backup_dir.iterdir())


def test_a_backup_by_hand_while_another_is_made_is_refused(app: Fenpei) -> None:
    store = directory_backups(app.settings, app.engine)

    with job_lock(app.engine, "backup"), pytest.raises(BackupFailed, match="another backup"):
        store.create(kind=BackupKind.manual, now=app.now())

    assert store.entries() == []
    assert store.create(kind=BackupKind.manual, now=app.now()).verified is True


def test_sqlite_snapshots_are_consistent_while_another_connection_writes(
    tmp_path: Path,
) -> None:
    database = tmp_path / "busy.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE orders (id INTEGER PRIMARY KEY, n INTEGER)")
        connection.exec_driver_sql("CREATE TABLE lines (id INTEGER PRIMARY KEY, n INTEGER)")
    first_commit, stop, failures = threading.Event(), threading.Event(), []

    def write() -> None:  # each order and its line in one transaction
        writer = sqlite3.connect(database, timeout=30, isolation_level=None)
        try:
            n = 0
            while not stop.is_set():
                n += 1
                writer.execute("BEGIN IMMEDIATE")
                writer.execute("INSERT INTO orders (n) VALUES (?)", (n,))
                writer.execute("INSERT INTO lines (n) VALUES (?)", (n,))
                writer.execute("COMMIT")
                first_commit.set()
        except sqlite3.Error as exc:  # pragma: no cover - the assertion below shows it
            failures.append(exc)
            first_commit.set()
        finally:
            writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        first_commit.wait()
        seen = []
        for i in range(5):
            snapshot = tmp_path / f"snapshot-{i}.db"
            digests, _ = sqlite_backup.snapshot(engine, snapshot)
            check = sa.create_engine(f"sqlite:///{snapshot}")
            with check.connect() as connection:
                orders = connection.exec_driver_sql("SELECT count(*) FROM orders").scalar()
                lines = connection.exec_driver_sql("SELECT count(*) FROM lines").scalar()
            check.dispose()
            assert orders == lines == digests["orders"].rows == digests["lines"].rows
            assert digests["orders"].sha256 == digests["lines"].sha256  # same rows, same sums
            seen.append(orders)
    finally:
        stop.set()
        thread.join()
        engine.dispose()
    assert failures == []  # the writer was never refused while the snapshots were taken
    assert seen == sorted(seen) and seen[0] >= 1
