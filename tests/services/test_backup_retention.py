"""Scheduled backups keep the newest N daily and M weekly ones; a week's first scheduled
backup is its weekly one; backups made by hand are never removed."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from fenpei.domain.errors import PermissionDenied
from fenpei.domain.users import Actor, Role
from fenpei.services.backups.catalog import list_backups, scheduled_backup
from fenpei.services.backups.manifest import BackupKind
from tests.fakes import FixedClock
from tests.fakes.backups import FakeBackupStore

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _run_days(store: FakeBackupStore, clock: FixedClock, days: int, **keep: int) -> None:
    for _ in range(days):
        scheduled_backup(store=store, now=clock.now(), zone=SHANGHAI, **keep)
        clock.advance(days=1)


def _kept(store: FakeBackupStore, kind: BackupKind) -> list[date]:
    return sorted(e.created_at.date() for e in store.entries() if e.kind is kind)


def test_forty_daily_runs_keep_the_last_seven_daily_and_four_weekly_backups() -> None:
    clock = FixedClock()  # Monday 2026-11-02 09:30 UTC (17:30 in Shanghai)
    store = FakeBackupStore()
    _run_days(store, clock, 3, keep_daily=7, keep_weekly=4)
    store.create(kind=BackupKind.manual, now=clock.now())
    _run_days(store, clock, 37, keep_daily=7, keep_weekly=4)  # through Friday 2026-12-11

    assert _kept(store, BackupKind.weekly) == [
        date(2026, 11, 16), date(2026, 11, 23), date(2026, 11, 30), date(2026, 12, 7),
    ]  # fmt: skip
    assert _kept(store, BackupKind.daily) == [
        date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 6),
        date(2026, 12, 8), date(2026, 12, 9), date(2026, 12, 10), date(2026, 12, 11),
    ]  # fmt: skip
    assert _kept(store, BackupKind.manual) == [date(2026, 11, 5)]
    assert len(store.deleted) == 40 - 11


def test_the_week_is_counted_in_fenpeis_time_zone() -> None:
    # Sunday 2026-11-08 17:00 UTC is Monday 01:00 in Shanghai: a new week there only.
    sunday = FixedClock().now().replace(day=8, hour=17, minute=0)
    kinds = {}
    for zone in (ZoneInfo("UTC"), SHANGHAI):
        store = FakeBackupStore()
        store.create(kind=BackupKind.weekly, now=sunday.replace(day=3))  # that Tuesday
        run = scheduled_backup(store=store, now=sunday, zone=zone, keep_daily=7, keep_weekly=4)
        kinds[str(zone)] = run.made.kind

    assert kinds == {"UTC": BackupKind.daily, "Asia/Shanghai": BackupKind.weekly}


def test_keeping_none_removes_every_scheduled_backup_but_not_the_manual_ones() -> None:
    clock = FixedClock()
    store = FakeBackupStore()
    store.create(kind=BackupKind.manual, now=clock.now())
    clock.advance(hours=1)
    _run_days(store, clock, 10, keep_daily=0, keep_weekly=0)

    assert [e.kind for e in store.entries()] == [BackupKind.manual]


def test_only_an_admin_sees_the_backups() -> None:
    with pytest.raises(PermissionDenied):
        list_backups(store=FakeBackupStore(), actor=Actor("rep1", Role.rep))
