"""Customer imports as recorded jobs (导入任务): which file (by SHA-256), how far it got.

A job's rows are committed in batches, each together with the job's progress (``last_row``:
the file's row number of the last row written), so a job killed at any point is resumed by
skipping the rows up to ``last_row``: every row of the file is written exactly once. Rows
written wait in the routing queue with ``pending_reason(job)`` until they are routed — by
the import itself or, if it died, by the queue job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ImportStatus(StrEnum):
    running = "running"  # started; still running, or died (``--resume`` continues it)
    done = "done"
    failed = "failed"


@dataclass(frozen=True)
class ImportJob:
    """One import of one file. ``rows``: the file's data rows; ``last_row``: the file's row
    (line) number of the last row committed, 0 before the first batch."""

    file_name: str
    sha256: str
    rows: int
    actor: str
    started_at: datetime
    route: bool = True
    status: ImportStatus = ImportStatus.running
    last_row: int = 0
    rows_imported: int = 0
    rows_routed: int = 0
    finished_at: datetime | None = None
    note: str | None = None
    id: int | None = None


def pending_reason(job_id: int) -> str:
    """The queue reason of an imported customer that no routing has looked at yet."""
    return f"pending routing (import {job_id})"
