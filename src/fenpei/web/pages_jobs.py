"""定时任务: the admins' page of the scheduled jobs — each job's last and next run, a
"run now" button, and the latest runs of all of them."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, JobsDep, UowDep
from fenpei.http.worker import web_worker
from fenpei.services import scheduling
from fenpei.web.i18n import Translate, translator
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
HISTORY = 20  # runs shown below the table
JobName = Annotated[str, Path(min_length=1, max_length=100)]


def every_text(t: Translate, every: timedelta) -> str:
    """A period in words: 每 5 分钟 / every 5 minutes."""
    seconds = int(every.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            return t(f"jobs.every.{unit}", n=seconds // size)
    return t("jobs.every.second", n=seconds)


@router.get("/admin/jobs")
def jobs_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    jobs: JobsDep,
    ran: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """定时任务: each job's period, last run and next run, and the latest runs (admins only)."""
    states = scheduling.states(uow=uow, jobs=jobs, actor=actor, now=fenpei.now())
    t = translator(page_language(request))
    context = {
        "user": user,
        "active": "jobs",
        "states": states,
        "every": {s.job.name: every_text(t, s.job.every) for s in states},
        "history": scheduling.runs(uow=uow, jobs=jobs, actor=actor, name=None, limit=HISTORY),
        "ran": next((s for s in states if s.job.name == ran), None),
    }
    return render(request, "jobs/jobs.html", context)


@router.post("/admin/jobs/{name}/run")
def run_job(
    uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep, jobs: JobsDep, name: JobName
) -> Response:
    """Run a job now and come back to the page, which shows how it ended (audited)."""
    scheduling.find_job(jobs, name)
    uow.rollback()  # end the request's transaction: the job opens its own (SQLite's lock)
    scheduling.run_now(
        uow_factory=fenpei.uow,
        jobs=jobs,
        name=name,
        actor=actor,
        now=fenpei.now,
        worker=web_worker(),
    )
    return RedirectResponse(f"/admin/jobs?ran={name}", status_code=303)
