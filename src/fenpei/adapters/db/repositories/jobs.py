"""Job runs: one row per job and slot, so one process of any number runs each slot."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository, core_row
from fenpei.adapters.db.repositories.outbox import insert_new
from fenpei.domain.jobs import JobRun, JobStatus


class SqlJobRuns(Repository):
    def start(self, run: JobRun) -> bool:
        return insert_new(self.session, t.job_runs, [core_row(t.job_runs, run)]) == 1

    def finish(
        self, *, job: str, slot: int, status: JobStatus, summary: str | None, now: datetime
    ) -> None:
        c = t.job_runs.c
        self.session.execute(
            sa.update(t.job_runs)
            .where(c.job == job, c.slot == slot)
            .values(status=status, summary=summary, finished_at=now)
            .execution_options(synchronize_session=False)
        )

    def history(self, *, job: str | None = None, limit: int = 50) -> list[JobRun]:
        c = t.job_runs.c
        query = sa.select(JobRun).order_by(c.started_at.desc(), c.job).limit(limit)
        if job is not None:
            query = query.where(c.job == job)
        return list(self.session.scalars(query))

    def last(self, job: str) -> JobRun | None:
        runs = self.history(job=job, limit=1)
        return runs[0] if runs else None
