"""任务提醒 (task timers): the admin page of each priority's reminder, overdue, escalation
and reassignment times in business hours. Admins edit; managers and auditors read. A bad
value re-renders the page with the problem beside its field (422, nothing saved)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.task_timers import TimerPolicy
from fenpei.domain.tasks import TaskOrigin, TaskPriority
from fenpei.domain.users import User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.services import scope
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks.origins import origin_settings, set_origin_settings
from fenpei.services.tasks.policies import set_timer_policy, timer_policies
from fenpei.web._said import said
from fenpei.web.i18n import translator
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
FIELDS = ("remind_before_hours", "overdue_after_hours", "escalate_after_hours",
          "reassign_after_hours")  # fmt: skip


class TimerForm(BaseModel):
    remind_before_hours: str = Field(default="", max_length=20)
    overdue_after_hours: str = Field(default="", max_length=20)
    escalate_after_hours: str = Field(default="", max_length=20)
    reassign_after_hours: str = Field(default="", max_length=20)


def _shown(minutes: int | None) -> str:
    """Minutes as the form shows hours: ``1``, ``0.5``, blank for never."""
    if minutes is None:
        return ""
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def _values(policy: TimerPolicy) -> dict[str, str]:
    return {
        "remind_before_hours": _shown(policy.remind_before),
        "overdue_after_hours": _shown(policy.overdue_after),
        "escalate_after_hours": _shown(policy.escalate_after),
        "reassign_after_hours": _shown(policy.reassign_after),
    }


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    *,
    typed: tuple[TaskPriority, dict[str, str], dict[str, str]] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    rows = []
    for level, policy in timer_policies(uow).items():
        values, errors = _values(policy), {}
        if typed is not None and typed[0] is level:
            values, errors = typed[1], typed[2]
        rows.append({"priority": level, "policy": policy, "values": values, "errors": errors})
    context = {"user": user, "active": "admin", "can_edit": actor_of(user).is_admin,
               "rows": rows, "fields": FIELDS, "done": done,
               "origins": origin_settings(uow)}  # fmt: skip
    return render(request, "admin/task_timers.html", context, status_code=status_code)


@router.get("/admin/task-timers")
def task_timers_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    done: Annotated[str | None, Query(max_length=20, pattern="^(saved|origins)$")] = None,
) -> Response:
    """Each priority's timers (admins edit; managers and auditors read)."""
    scope.require_overseer(actor_of(user), "see the task timers")
    return _page(request, uow, user, done=done)


class OriginsForm(BaseModel):
    sla: str = Field(default="", max_length=5)
    reclaim: str = Field(default="", max_length=5)


@router.post("/admin/task-timers/origins")
def save_task_origins(
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    form: Annotated[OriginsForm, Form()],
) -> Response:
    """Switch tasks from SLA breaches and reclaim warnings on or off (admins)."""
    settings = {TaskOrigin.sla: form.sla == "on", TaskOrigin.reclaim: form.reclaim == "on"}
    set_origin_settings(uow=uow, actor=actor, settings=settings, now=fenpei.now())
    uow.commit()
    return RedirectResponse("/admin/task-timers?done=origins", status_code=303)


@router.post("/admin/task-timers/{priority}")
def save_task_timers(
    request: Request,
    priority: TaskPriority,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    form: Annotated[TimerForm, Form()],
) -> Response:
    """Save a priority's timers; every bad field is marked on its row."""
    try:
        set_timer_policy(
            uow=uow, actor=actor, priority=priority.value,
            remind_before_hours=form.remind_before_hours,
            overdue_after_hours=form.overdue_after_hours,
            escalate_after_hours=form.escalate_after_hours,
            reassign_after_hours=form.reassign_after_hours, now=fenpei.now(),
        )  # fmt: skip
        uow.commit()
    except ValidationFailed as refused:
        uow.rollback()
        t = translator(page_language(request))
        errors: dict[str, str] = {}
        for error in refused.errors:
            errors.setdefault(error.field, said(t, error.message))
        return _page(request, uow, user, typed=(priority, form.model_dump(), errors),
                     status_code=422)  # fmt: skip
    return RedirectResponse("/admin/task-timers?done=saved", status_code=303)
