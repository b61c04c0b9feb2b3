"""A backup as the admins' list shows it, and the port to where backups are kept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from fenpei.domain.errors import Conflict
from fenpei.services.backups.manifest import BackupKind, DatabaseKind

# fenpei-20261205-180000-daily.tar.gz (UTC; a second backup in the same second gets -2 …)
NAME = re.compile(
    r"^fenpei-(?P<at>\d{8}-\d{6})(?:-(?P<n>\d{1,3}))?-(?P<kind>daily|weekly|manual)\.tar\.gz$"
)
NAME_PATTERN = NAME.pattern


class BackupFailed(Conflict):
    """No backup could be made now (another is being made, or the snapshot failed)."""

    code = "backup_failed"


@dataclass(frozen=True)
class BackupEntry:
    name: str
    created_at: datetime
    kind: BackupKind
    size: int
    database_kind: DatabaseKind | None = None
    verified: bool | None = None  # None: not checked (yet)
    problem: str = ""


def archive_name(at: datetime, kind: BackupKind, n: int = 1) -> str:
    stamp = at.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    return f"fenpei-{stamp}{f'-{n}' if n > 1 else ''}-{kind.value}.tar.gz"


def parse_name(name: str) -> tuple[datetime, BackupKind] | None:
    """When and of what kind the backup called ``name`` was made (None: not a backup name)."""
    found = NAME.match(name)
    if found is None:
        return None
    try:
        at = datetime.strptime(found["at"], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    except ValueError:  # the shape of a name, not a moment (month 13, …)
        return None
    return at, BackupKind(found["kind"])


class BackupStore(Protocol):
    """Where backups are kept (a folder); making one snapshots the database and files."""

    def entries(self) -> list[BackupEntry]:
        """Every backup, newest first."""
        ...

    def create(self, *, kind: BackupKind, now: datetime) -> BackupEntry:
        """Make, then verify, a backup of the whole database and the attachment files
        (BackupFailed when it cannot). A manual one takes the backup job's lock itself: one
        backup at a time; the scheduled job holds it already."""
        ...

    def path_of(self, name: str) -> Path:
        """The archive called ``name`` (NotFound when there is none)."""
        ...

    def delete(self, name: str) -> None: ...
