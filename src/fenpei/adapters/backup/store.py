"""Backups kept in a folder (FENPEI_BACKUP_DIR): each archive beside a small JSON note of
how its verification went, so the admins' list reads no archive."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from fenpei.adapters.backup.archive import ArchiveRefused
from fenpei.adapters.backup.make import (
    VerificationFailed,
    database_kind,
    make_archive,
    verify_archive,
)
from fenpei.adapters.backup.postgres import ToolFailed
from fenpei.adapters.db.job_lock import job_lock
from fenpei.config import Settings
from fenpei.domain.errors import NotFound
from fenpei.services.backups.entries import BackupEntry, BackupFailed, archive_name, parse_name
from fenpei.services.backups.manifest import BackupKind, DatabaseKind

LOCK = "backup"  # the scheduled job's name: its lock keeps backups one at a time


class DirectoryBackups:
    """The BackupStore of fenpei's settings: archives in ``folder``."""

    def __init__(self, *, engine: sa.Engine, folder: Path, files_dir: Path, max_bytes: int) -> None:
        self.engine = engine
        self.folder = folder
        self.files_dir = files_dir
        self.max_bytes = max_bytes

    def entries(self) -> list[BackupEntry]:
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.iterdir():
            parsed = parse_name(path.name)
            if parsed is None or not path.is_file():
                continue
            note = self._note(path.name)
            kind = note.get("database_kind")
            found.append(
                BackupEntry(
                    name=path.name,
                    created_at=parsed[0],
                    kind=parsed[1],
                    size=path.stat().st_size,
                    database_kind=DatabaseKind(kind) if kind in ("sqlite", "postgresql") else None,
                    verified=verified
                    if isinstance(verified := note.get("verified"), bool)
                    else None,
                    problem=str(note.get("problem", "")),
                )
            )
        return sorted(found, key=lambda e: (e.created_at, e.name), reverse=True)

    def create(self, *, kind: BackupKind, now: datetime) -> BackupEntry:
        if kind is not BackupKind.manual:
            return self._create(kind, now)
        with job_lock(self.engine, LOCK) as held:
            if not held:
                raise BackupFailed("another backup is being made: try again when it is done")
            return self._create(kind, now)

    def _create(self, kind: BackupKind, now: datetime) -> BackupEntry:
        self.folder.mkdir(parents=True, exist_ok=True)
        n = 1
        while (self.folder / archive_name(now, kind, n)).exists():
            n += 1
        path = self.folder / archive_name(now, kind, n)
        try:
            make_archive(
                engine=self.engine, files_dir=self.files_dir, dest=path, kind=kind, now=now
            )
        except (ToolFailed, OSError, ValueError, sa.exc.DBAPIError) as exc:
            raise BackupFailed(f"the backup could not be made: {exc}") from exc
        note: dict[str, object] = {"database_kind": database_kind(self.engine.url).value}
        try:
            verify_archive(path, engine=self.engine, max_bytes=self.max_bytes)
            note.update(verified=True, problem="")
        except (ArchiveRefused, VerificationFailed, ToolFailed) as exc:
            note.update(verified=False, problem=str(exc))
        self._note_path(path.name).write_text(json.dumps(note), encoding="utf-8")
        return next(e for e in self.entries() if e.name == path.name)

    def path_of(self, name: str) -> Path:
        path = self.folder / name
        if parse_name(name) is None or not path.is_file():
            raise NotFound("backup", name)
        return path

    def delete(self, name: str) -> None:
        self.path_of(name).unlink()
        self._note_path(name).unlink(missing_ok=True)

    def _note_path(self, name: str) -> Path:
        return self.folder / f".{name}.json"

    def _note(self, name: str) -> dict[str, object]:
        try:
            data = json.loads(self._note_path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


def directory_backups(settings: Settings, engine: sa.Engine) -> DirectoryBackups:
    """The store fenpei's settings name."""
    return DirectoryBackups(
        engine=engine,
        folder=settings.backup_dir,
        files_dir=settings.files_dir,
        max_bytes=settings.backup_max_restore_bytes,
    )
