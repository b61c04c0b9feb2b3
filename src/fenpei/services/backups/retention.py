"""Which scheduled backups to keep: the newest N daily and M weekly ones. A scheduled
backup is weekly when it is the first of its ISO week (in fenpei's time zone), daily
otherwise; backups made by hand are never removed by the schedule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from fenpei.services.backups.entries import BackupEntry
from fenpei.services.backups.manifest import BackupKind


def scheduled_kind(*, now: datetime, existing: Sequence[BackupEntry], zone: ZoneInfo) -> BackupKind:
    """weekly when no weekly backup was made yet in ``now``'s ISO week, else daily."""
    week = now.astimezone(zone).isocalendar()[:2]
    for entry in existing:
        if (
            entry.kind is BackupKind.weekly
            and entry.created_at.astimezone(zone).isocalendar()[:2] == week
        ):
            return BackupKind.daily
    return BackupKind.weekly


def to_remove(
    entries: Sequence[BackupEntry], *, keep_daily: int, keep_weekly: int
) -> list[BackupEntry]:
    """The scheduled backups beyond the newest ``keep_daily`` daily and ``keep_weekly``
    weekly ones, oldest first."""
    removed: list[BackupEntry] = []
    for kind, keep in ((BackupKind.daily, keep_daily), (BackupKind.weekly, keep_weekly)):
        mine = sorted((e for e in entries if e.kind is kind), key=lambda e: (e.created_at, e.name))
        removed.extend(mine[: max(len(mine) - keep, 0)])
    return sorted(removed, key=lambda e: (e.created_at, e.name))
