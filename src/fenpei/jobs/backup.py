"""The scheduled backup (the registry runs it under the job lock: one process at a time)."""

from __future__ import annotations

from fenpei.bootstrap import Fenpei
from fenpei.services.backups.catalog import scheduled_backup


def backup_work(fenpei: Fenpei) -> str:
    """Back up the database and files (weekly the first of a week, else daily) and remove
    the scheduled backups beyond FENPEI_BACKUP_KEEP_DAILY / _WEEKLY."""
    settings = fenpei.settings
    return scheduled_backup(
        store=fenpei.backups(),
        now=fenpei.now(),
        zone=settings.zone,
        keep_daily=settings.backup_keep_daily,
        keep_weekly=settings.backup_keep_weekly,
    ).summary()
