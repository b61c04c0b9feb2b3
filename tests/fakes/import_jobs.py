"""``ports.ImportJobRepository`` over the fake store (its rows live in the store's vars, so
the unit of work's snapshots and rollbacks cover them like the other tables)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from fenpei.domain.import_jobs import ImportJob, ImportStatus, pending_reason
from tests.fakes.store import Store


class FakeImportJobs:
    def __init__(self, store: Store) -> None:
        self._store = store
        vars(store).setdefault("import_jobs", {})

    @property
    def _jobs(self) -> dict[int, ImportJob]:
        jobs: dict[int, ImportJob] = vars(self._store)["import_jobs"]
        return jobs

    def start(self, job: ImportJob) -> ImportJob | None:
        running = (j for j in self._jobs.values() if j.status is ImportStatus.running)
        if any(j.sha256 == job.sha256 for j in running):
            return None
        stored = dataclasses.replace(job, id=max(self._jobs, default=0) + 1)
        self._jobs[stored.id or 0] = stored
        return stored

    def get(self, job_id: int) -> ImportJob | None:
        return self._jobs.get(job_id)

    def by_sha256(self, sha256: str) -> list[ImportJob]:
        return [j for _, j in sorted(self._jobs.items(), reverse=True) if j.sha256 == sha256]

    def recent(self, *, limit: int = 50) -> list[ImportJob]:
        return [j for _, j in sorted(self._jobs.items(), reverse=True)][:limit]

    def advance(self, job_id: int, *, from_row: int, to_row: int, imported: int) -> bool:
        job = self._jobs[job_id]
        if job.last_row != from_row or job.status is not ImportStatus.running:
            return False
        self._jobs[job_id] = dataclasses.replace(
            job, last_row=to_row, rows_imported=job.rows_imported + imported
        )
        return True

    def set_routed(self, job_id: int, count: int) -> None:
        self._jobs[job_id] = dataclasses.replace(self._jobs[job_id], rows_routed=count)

    def _pending(self, job_id: int) -> list[int]:
        reason = pending_reason(job_id)
        return sorted(
            c.id
            for c in self._store.customers.rows.values()
            if c.id is not None
            and c.queue_reason == reason
            and c.queued_at is not None
            and c.owner_id is None
            and c.deleted_at is None
        )

    def pending_ids(self, job_id: int, *, after_id: int, limit: int) -> list[int]:
        return [i for i in self._pending(job_id) if i > after_id][:limit]

    def pending_count(self, job_id: int) -> int:
        return len(self._pending(job_id))

    def finish(
        self, job_id: int, *, status: ImportStatus, now: datetime, note: str | None = None
    ) -> None:
        job = self._jobs[job_id]
        self._jobs[job_id] = dataclasses.replace(job, status=status, finished_at=now, note=note)
