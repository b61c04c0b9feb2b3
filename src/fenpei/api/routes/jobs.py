"""The scheduled jobs (定时任务), for admins: each job's last and next run, its history,
and "run now"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from fenpei.api.job_schemas import JobRead, JobRunOutcome, JobRunRead
from fenpei.api.schemas import ErrorRead
from fenpei.http.deps import AdminActor, FenpeiDep, JobsDep, UowDep
from fenpei.http.worker import web_worker
from fenpei.services import scheduling

router = APIRouter(prefix="/jobs", tags=["jobs"])

ADMINS_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Logged in, but not an admin."},
}
UNKNOWN_JOB: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorRead, "description": "No job of that name."},
}
JobName = Annotated[
    str, Path(min_length=1, max_length=100, description="The job's name, e.g. `retry-queue`.")
]


@router.get("", responses=ADMINS_ONLY)
def list_jobs(uow: UowDep, actor: AdminActor, fenpei: FenpeiDep, jobs: JobsDep) -> list[JobRead]:
    """Each job: how often it runs, its last run (when, how it ended, what it did) and the
    start of its next slot (admins only)."""
    states = scheduling.states(uow=uow, jobs=jobs, actor=actor, now=fenpei.now())
    return [JobRead.of(state) for state in states]


@router.get("/{name}/runs", responses={**ADMINS_ONLY, **UNKNOWN_JOB})
def list_runs(
    name: JobName,
    uow: UowDep,
    actor: AdminActor,
    jobs: JobsDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many (1-1000).")] = 20,
) -> list[JobRunRead]:
    """The job's latest runs, newest first (admins only)."""
    found = scheduling.runs(uow=uow, jobs=jobs, actor=actor, name=name, limit=limit)
    return [JobRunRead.of(run) for run in found]


@router.post("/{name}/run", responses={**ADMINS_ONLY, **UNKNOWN_JOB})
def run_job(
    name: JobName, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep, jobs: JobsDep
) -> JobRunOutcome:
    """Run the job now, outside its schedule, and answer when it has finished: a job that
    fails answers 200 with status `failed` and its error as the summary (admins only;
    recorded in the audit log)."""
    scheduling.find_job(jobs, name)
    # The request's transaction (it read the caller) would hold SQLite's write lock while
    # the job opens transactions of its own: end it first.
    uow.rollback()
    outcome = scheduling.run_now(
        uow_factory=fenpei.uow,
        jobs=jobs,
        name=name,
        actor=actor,
        now=fenpei.now,
        worker=web_worker(),
    )
    return JobRunOutcome.of(outcome)
