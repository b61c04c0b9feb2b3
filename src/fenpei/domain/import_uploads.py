"""Files uploaded to be imported (导入文件) and the column mappings remembered per source.

An upload is kept (its bytes in the database, so a worker on another host reads it) from
the moment it is sent until its import ends; then its bytes are dropped and only the
error file (the bad rows, when there were any) stays, to be downloaded from the job page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class UploadState(StrEnum):
    draft = "draft"  # uploaded, being mapped and previewed
    queued = "queued"  # import asked for; waits for a worker
    running = "running"  # a worker is checking / writing / routing it
    done = "done"
    failed = "failed"  # nothing written (all-or-nothing with bad rows, or unreadable)

    @property
    def finished(self) -> bool:
        return self in (UploadState.done, UploadState.failed)


class ImportMode(StrEnum):
    all_or_nothing = "all"  # any bad row: nothing is written
    skip_bad_rows = "skip"  # the good rows are written, the bad ones go to the error file


@dataclass
class ImportUpload:
    """One uploaded file, its chosen mapping and mode, and how its import ended.

    ``mapping`` is header → field (``custom.<key>`` for a custom attribute), or None for a
    column to ignore; ``errors`` the first problems as ``{"field", "message"}``;
    ``job_id`` the import job (domain/import_jobs.py) that wrote its rows."""

    file_name: str
    data: bytes
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    headers: list[str] = field(default_factory=list)
    rows: int = 0
    encoding: str | None = None  # the detected text encoding of a CSV
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    state: UploadState = UploadState.draft
    mode: ImportMode = ImportMode.all_or_nothing
    route: bool = True
    source: str | None = None
    mapping: dict[str, str | None] = field(default_factory=dict)
    job_id: int | None = None
    bad_rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_file: bytes | None = None
    claimed_at: datetime | None = None
    finished_at: datetime | None = None
    note: str | None = None
    id: int | None = None


@dataclass
class ImportMapping:
    """The columns of a source's files, remembered: header → field, or None (ignore)."""

    source: str
    mapping: dict[str, str | None]
    updated_by: str
    updated_at: datetime
    id: int | None = None
