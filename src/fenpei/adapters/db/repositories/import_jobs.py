"""Import jobs (domain/import_jobs.py), read and written with Core: a job's progress moves
by a conditional UPDATE in each batch's transaction, never through a cached object."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.import_jobs import ImportJob, ImportStatus, pending_reason

_FIELDS = [f.name for f in dataclasses.fields(ImportJob)]


def _job(row: sa.Row[tuple[object, ...]]) -> ImportJob:
    return ImportJob(**{name: getattr(row, name) for name in _FIELDS})


class SqlImportJobs(Repository):
    def start(self, job: ImportJob) -> ImportJob | None:
        """The job, recorded; None if another job of the same file is running (the unique
        index on running jobs' SHA-256 refused it, in a savepoint: the caller's
        transaction goes on)."""
        values = {name: getattr(job, name) for name in _FIELDS if name != "id"}
        try:
            with self.session.begin_nested():
                job_id = self.session.execute(
                    sa.insert(t.import_jobs).values(**values).returning(t.import_jobs.c.id)
                ).scalar_one()
        except sa.exc.IntegrityError:
            return None
        return dataclasses.replace(job, id=job_id)

    def get(self, job_id: int) -> ImportJob | None:
        row = self.session.execute(
            sa.select(t.import_jobs).where(t.import_jobs.c.id == job_id)
        ).one_or_none()
        return _job(row) if row is not None else None

    def by_sha256(self, sha256: str) -> list[ImportJob]:
        c = t.import_jobs.c
        rows = self.session.execute(
            sa.select(t.import_jobs).where(c.sha256 == sha256).order_by(c.id.desc())
        )
        return [_job(row) for row in rows]

    def recent(self, *, limit: int = 50) -> list[ImportJob]:
        c = t.import_jobs.c
        rows = self.session.execute(sa.select(t.import_jobs).order_by(c.id.desc()).limit(limit))
        return [_job(row) for row in rows]

    def advance(self, job_id: int, *, from_row: int, to_row: int, imported: int) -> bool:
        c = t.import_jobs.c
        result = self.session.execute(
            sa.update(t.import_jobs)
            .where(c.id == job_id, c.last_row == from_row, c.status == ImportStatus.running)
            .values(last_row=to_row, rows_imported=c.rows_imported + imported)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def set_routed(self, job_id: int, count: int) -> None:
        self.session.execute(
            sa.update(t.import_jobs)
            .where(t.import_jobs.c.id == job_id)
            .values(rows_routed=count)
            .execution_options(synchronize_session=False)
        )

    def _pending(self, job_id: int) -> sa.ColumnElement[bool]:
        c = t.customers.c
        return sa.and_(
            c.queue_reason == pending_reason(job_id),
            c.queued_at.is_not(None),
            c.owner_id.is_(None),
            c.deleted_at.is_(None),
        )

    def pending_ids(self, job_id: int, *, after_id: int, limit: int) -> list[int]:
        c = t.customers.c
        query = (
            sa.select(c.id)
            .where(self._pending(job_id), c.id > after_id)
            .order_by(c.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def pending_count(self, job_id: int) -> int:
        query = sa.select(sa.func.count()).select_from(t.customers).where(self._pending(job_id))
        return int(self.session.scalar(query) or 0)

    def finish(
        self, job_id: int, *, status: ImportStatus, now: datetime, note: str | None = None
    ) -> None:
        c = t.import_jobs.c
        self.session.execute(
            sa.update(t.import_jobs)
            .where(c.id == job_id)
            .values(status=status, finished_at=now, note=note)
            .execution_options(synchronize_session=False)
        )
