"""``manifest.json``: what a backup archive holds, so a restore can check it before it
touches anything and verify the restored database table by table afterwards."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

FORMAT = 1
MANIFEST_NAME = "manifest.json"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


class BackupKind(StrEnum):
    daily = "daily"
    weekly = "weekly"
    manual = "manual"


class DatabaseKind(StrEnum):
    sqlite = "sqlite"
    postgresql = "postgresql"


class ManifestError(ValueError):
    """The manifest is missing, unreadable or not one fenpei wrote."""


@dataclass(frozen=True)
class TableDigest:
    rows: int
    sha256: str


@dataclass(frozen=True)
class StoredFile:
    """A file in the archive: its path there, size and sha256."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    fenpei_version: str
    alembic_revision: str | None
    database_kind: DatabaseKind
    created_at: datetime
    kind: BackupKind
    tables: dict[str, TableDigest]
    database: StoredFile
    files: list[StoredFile] = field(default_factory=list)
    files_note: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "fenpei_version": self.fenpei_version,
                "alembic_revision": self.alembic_revision,
                "database_kind": self.database_kind.value,
                "created_at": self.created_at.isoformat(),
                "kind": self.kind.value,
                "tables": {
                    name: {"rows": d.rows, "sha256": d.sha256} for name, d in self.tables.items()
                },
                "database": _file_json(self.database),
                "files": [_file_json(f) for f in self.files],
                "files_note": self.files_note,
            },
            indent=2,
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Manifest:
        """The manifest in ``text`` (ManifestError naming what is wrong)."""
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ManifestError(f"format {data.get('format')!r} is not {FORMAT}")
            return cls(
                fenpei_version=str(data["fenpei_version"]),
                alembic_revision=data["alembic_revision"],
                database_kind=DatabaseKind(data["database_kind"]),
                created_at=datetime.fromisoformat(data["created_at"]),
                kind=BackupKind(data["kind"]),
                tables={
                    str(name): TableDigest(rows=int(d["rows"]), sha256=str(d["sha256"]))
                    for name, d in data["tables"].items()
                },
                database=_file_of(data["database"]),
                files=[_file_of(f) for f in data["files"]],
                files_note=str(data.get("files_note", "")),
            )
        except ManifestError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ManifestError(
                f"manifest.json is not valid: {type(exc).__name__}: {exc}"
            ) from None

    def stored(self) -> list[StoredFile]:
        """Every file the archive must hold besides the manifest."""
        return [self.database, *self.files]


def _file_json(f: StoredFile) -> dict[str, Any]:
    return {"path": f.path, "size": f.size, "sha256": f.sha256}


def _file_of(data: Any) -> StoredFile:
    size = int(data["size"])
    if size < 0:
        raise ValueError(f"{data['path']}: negative size")
    return StoredFile(path=str(data["path"]), size=size, sha256=str(data["sha256"]))


def differences(expected: dict[str, TableDigest], found: dict[str, TableDigest]) -> list[str]:
    """Each way ``found`` (a restored database) differs from ``expected`` (the manifest)."""
    problems = []
    for table in sorted(expected.keys() | found.keys()):
        want, got = expected.get(table), found.get(table)
        if want is None:
            problems.append(f"table {table}: not in the backup")
        elif got is None:
            problems.append(f"table {table}: missing after the restore")
        elif want.rows != got.rows:
            problems.append(f"table {table}: {got.rows} rows, the backup says {want.rows}")
        elif want.sha256 != got.sha256:
            problems.append(f"table {table}: checksum differs ({want.rows} rows)")
    return problems
