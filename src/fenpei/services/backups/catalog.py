"""The admins' backups: the list, "back up now", a download (audited), and the scheduled
backup with its retention."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fenpei.domain.users import Actor
from fenpei.services import _audit
from fenpei.services.backups.entries import BackupEntry, BackupStore
from fenpei.services.backups.manifest import BackupKind
from fenpei.services.backups.retention import scheduled_kind, to_remove
from fenpei.services.ports import UnitOfWork
from fenpei.services.scope import require_admin


@dataclass(frozen=True)
class ScheduledRun:
    made: BackupEntry
    removed: list[BackupEntry]

    def summary(self) -> str:
        verified = "verified" if self.made.verified else f"NOT verified: {self.made.problem}"
        return (
            f"{self.made.name} ({self.made.size} bytes, {verified}); "
            f"{len(self.removed)} old removed"
        )


def list_backups(*, store: BackupStore, actor: Actor) -> list[BackupEntry]:
    """Every backup, newest first (admins only)."""
    require_admin(actor, "see the backups")
    return store.entries()


def back_up_now(
    *, store: BackupStore, uow_factory: Callable[[], UnitOfWork], actor: Actor, now: datetime
) -> BackupEntry:
    """Make a manual backup at once (admins only; audited). Retention never removes it."""
    require_admin(actor, "make a backup")
    made = store.create(kind=BackupKind.manual, now=now)
    with uow_factory() as uow:
        _audit.record(uow, actor=actor, action="create", obj=made, now=now, object_id=made.name)
        uow.commit()
    return made


def download(
    *,
    store: BackupStore,
    uow_factory: Callable[[], UnitOfWork],
    actor: Actor,
    name: str,
    now: datetime,
) -> Path:
    """The archive to send an admin who downloads it (admins only; the download is audited,
    in a transaction of its own as it is a read: a backup reveals every record)."""
    require_admin(actor, "download a backup")
    path = store.path_of(name)
    entry = next(e for e in store.entries() if e.name == name)
    with uow_factory() as uow:
        _audit.record(uow, actor=actor, action="download", obj=entry, now=now, object_id=name)
        uow.commit()
    return path


def scheduled_backup(
    *, store: BackupStore, now: datetime, zone: ZoneInfo, keep_daily: int, keep_weekly: int
) -> ScheduledRun:
    """The scheduled backup: a weekly one if the week has none yet, else a daily one; then
    remove the scheduled backups beyond the newest ``keep_daily`` / ``keep_weekly``."""
    kind = scheduled_kind(now=now, existing=store.entries(), zone=zone)
    made = store.create(kind=kind, now=now)
    removed = to_remove(store.entries(), keep_daily=keep_daily, keep_weekly=keep_weekly)
    for entry in removed:
        store.delete(entry.name)
    return ScheduledRun(made=made, removed=removed)
