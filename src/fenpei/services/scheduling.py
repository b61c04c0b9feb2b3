"""Named periodic jobs, each run once per slot of its period by one process of any number:
the first to insert the slot's job-run row runs it; the others find the row and skip.

A process that dies mid-run leaves its row ``running``; that slot is not run again (the
next slot is), which is what "once per slot" promises."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fenpei.domain.errors import NotFound
from fenpei.domain.jobs import JobRun, JobStatus, slot_of, slot_start
from fenpei.domain.users import Actor
from fenpei.services import _audit
from fenpei.services.ports import UnitOfWork
from fenpei.services.scope import require_admin

log = logging.getLogger(__name__)

MAX_SUMMARY = 1000


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[], str | None]  # returns a one-line summary of what it did
    description: str = ""


@dataclass(frozen=True)
class JobOutcome:
    job: str
    slot: int
    status: JobStatus
    summary: str | None


@dataclass(frozen=True)
class JobState:
    """What the jobs page and `fenpei jobs list` show for one job."""

    job: Job
    last: JobRun | None
    next_run_at: datetime


def run_due(
    *,
    uow_factory: Callable[[], UnitOfWork],
    jobs: Sequence[Job],
    now: Callable[[], datetime],
    worker: str,
) -> list[JobOutcome]:
    """Run every job whose current slot nobody has taken yet; what ran, with its outcome."""
    outcomes = []
    for job in jobs:
        slot = slot_of(now(), job.every)
        outcome = _run_slot(uow_factory, job, slot, now=now, worker=worker)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def run_now(
    *,
    uow_factory: Callable[[], UnitOfWork],
    jobs: Sequence[Job],
    name: str,
    actor: Actor,
    now: Callable[[], datetime],
    worker: str,
) -> JobOutcome:
    """Run ``name`` at once, outside its schedule (an admin's "run now", audited). Recorded
    under a negative slot, which no scheduled slot uses."""
    require_admin(actor, "run a job")
    job = find_job(jobs, name)
    # Minus the second (slots are 32-bit); a second run by hand in the same second takes
    # the next free one below.
    for slot in range(-int(now().timestamp()), -int(now().timestamp()) - 100, -1):
        outcome = _run_slot(uow_factory, job, slot, now=now, worker=worker, actor=actor)
        if outcome is not None:
            return outcome
    raise NotFound("free slot for job", name)


def _run_slot(
    uow_factory: Callable[[], UnitOfWork],
    job: Job,
    slot: int,
    *,
    now: Callable[[], datetime],
    worker: str,
    actor: Actor | None = None,
) -> JobOutcome | None:
    """Run ``job`` in ``slot`` unless another process took it; ``actor`` (a run by hand)
    is audited in the same transaction as the outcome."""
    with uow_factory() as uow:
        run = JobRun(job.name, slot, JobStatus.running, worker, started_at=now())
        if not uow.job_runs.start(run):
            return None
        uow.commit()
    try:
        summary, status = job.run(), JobStatus.done
    except Exception as exc:  # a failing job is recorded and shown, never kills the worker
        log.exception("job %s failed", job.name)
        summary, status = f"{type(exc).__name__}: {exc}", JobStatus.failed
    summary = summary[:MAX_SUMMARY] if summary else None
    finished_at = now()
    with uow_factory() as uow:
        uow.job_runs.finish(
            job=job.name, slot=slot, status=status, summary=summary, now=finished_at
        )
        if actor is not None:
            run.status, run.summary, run.finished_at = status, summary, finished_at
            _audit.record(
                uow, actor=actor, action="run", obj=run, now=finished_at, object_id=job.name
            )
        uow.commit()
    return JobOutcome(job.name, slot, status, summary)


def find_job(jobs: Sequence[Job], name: str) -> Job:
    """The job called ``name`` (NotFound when there is none)."""
    job = next((j for j in jobs if j.name == name), None)
    if job is None:
        raise NotFound("job", name)
    return job


def states(*, uow: UnitOfWork, jobs: Sequence[Job], actor: Actor, now: datetime) -> list[JobState]:
    """Each job with its last run and when its next slot starts (admins only)."""
    require_admin(actor, "see the scheduled jobs")
    return [
        JobState(
            job=job,
            last=uow.job_runs.last(job.name),
            next_run_at=slot_start(slot_of(now, job.every) + 1, job.every),
        )
        for job in jobs
    ]


def runs(
    *, uow: UnitOfWork, jobs: Sequence[Job], actor: Actor, name: str | None, limit: int
) -> list[JobRun]:
    """The latest runs of job ``name`` (of every job when None), newest first (admins only)."""
    require_admin(actor, "see the scheduled jobs")
    if name is not None:
        find_job(jobs, name)
    return uow.job_runs.history(job=name, limit=limit)
