"""An in-memory BackupStore: backups are names and times, nothing is written."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fenpei.domain.errors import NotFound
from fenpei.services.backups.entries import BackupEntry, archive_name
from fenpei.services.backups.manifest import BackupKind


class FakeBackupStore:
    def __init__(self) -> None:
        self.kept: dict[str, BackupEntry] = {}
        self.deleted: list[str] = []

    def entries(self) -> list[BackupEntry]:
        return sorted(self.kept.values(), key=lambda e: (e.created_at, e.name), reverse=True)

    def create(self, *, kind: BackupKind, now: datetime) -> BackupEntry:
        entry = BackupEntry(archive_name(now, kind), now, kind, size=100, verified=True)
        self.kept[entry.name] = entry
        return entry

    def path_of(self, name: str) -> Path:
        if name not in self.kept:
            raise NotFound("backup", name)
        return Path(name)

    def delete(self, name: str) -> None:
        del self.kept[name]
        self.deleted.append(name)
