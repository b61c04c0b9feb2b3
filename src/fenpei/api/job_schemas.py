"""What the scheduled jobs API returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from fenpei.domain.jobs import JobRun, JobStatus
from fenpei.services.scheduling import JobOutcome, JobState


class JobRunRead(BaseModel):
    """One run of a job, scheduled or by hand."""

    job: str
    started_at: datetime
    finished_at: datetime | None = Field(description="None while it runs.")
    status: JobStatus
    summary: str | None = Field(description="What it did in one line, or its error.")
    worker: str = Field(description="The process that ran it (host:pid:random).")
    by_hand: bool = Field(description="Run now by an admin, outside its schedule.")

    @classmethod
    def of(cls, run: JobRun) -> JobRunRead:
        return cls(
            job=run.job,
            started_at=run.started_at,
            finished_at=run.finished_at,
            status=run.status,
            summary=run.summary,
            worker=run.worker,
            by_hand=run.slot < 0,
        )


class JobRead(BaseModel):
    """A named periodic job: how often it runs, its last run and its next."""

    name: str
    every: int = Field(description="Its period, in seconds.")
    description: str
    last_run: JobRunRead | None = Field(description="None: it has never run.")
    next_run_at: datetime = Field(description="When its next slot starts.")

    @classmethod
    def of(cls, state: JobState) -> JobRead:
        return cls(
            name=state.job.name,
            every=int(state.job.every.total_seconds()),
            description=state.job.description,
            last_run=JobRunRead.of(state.last) if state.last is not None else None,
            next_run_at=state.next_run_at,
        )


class JobRunOutcome(BaseModel):
    """What a run by hand did."""

    job: str
    status: JobStatus
    summary: str | None

    @classmethod
    def of(cls, outcome: JobOutcome) -> JobRunOutcome:
        return cls(job=outcome.job, status=outcome.status, summary=outcome.summary)
