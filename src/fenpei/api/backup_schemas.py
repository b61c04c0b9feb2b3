"""What the backups API returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from fenpei.services.backups.entries import BackupEntry
from fenpei.services.backups.manifest import BackupKind, DatabaseKind


class BackupRead(BaseModel):
    """One backup archive in FENPEI_BACKUP_DIR."""

    name: str = Field(description="The archive's file name; download it by this name.")
    created_at: datetime
    kind: BackupKind = Field(description="daily or weekly (scheduled), or manual.")
    size: int = Field(description="Bytes.")
    database_kind: DatabaseKind | None
    verified: bool | None = Field(
        description="Read back after it was made and found equal to its manifest "
        "(None: not checked)."
    )
    problem: str = Field(description="Why verification failed; empty otherwise.")

    @classmethod
    def of(cls, entry: BackupEntry) -> BackupRead:
        return cls(
            name=entry.name,
            created_at=entry.created_at,
            kind=entry.kind,
            size=entry.size,
            database_kind=entry.database_kind,
            verified=entry.verified,
            problem=entry.problem,
        )
