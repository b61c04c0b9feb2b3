"""我的任务: the signed-in person's tasks in sections (overdue, today, upcoming, no due
date), with filters, sort and pages; a manager or admin may look at one rep or one team.

Every read goes through the task scope (``services.tasks._access``): a rep sees their own
tasks, a manager their teams'. The board, the calendar, the form and a task's own page
live in their own modules, included here (the fixed paths before ``/tasks/{task_id}``).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from fenpei.domain.tasks import OPEN_STATUSES, TaskFilter, TaskPriority, TaskStatus
from fenpei.domain.users import Role
from fenpei.http.deps import CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.fields import EmptyIsNone, FilterText, Id
from fenpei.services.tasks._access import task_scope
from fenpei.web import pages_tasks_board, pages_tasks_calendar, pages_tasks_new, pages_tasks_page
from fenpei.web._task_view import TaskRow, choices, kind_label, page_words, scoped, task_rows
from fenpei.web.i18n import translator
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
router.include_router(pages_tasks_new.router)
router.include_router(pages_tasks_board.router)
router.include_router(pages_tasks_calendar.router)
router.include_router(pages_tasks_page.router)

PAGE_SIZE = 25
MAX_PAGE = 10**5
SECTIONS = ("overdue", "today", "upcoming", "no_due")
Shown = Literal["open", "all", "todo", "in_progress", "blocked", "done", "cancelled"]
Sort = Literal["due", "priority", "new"]
Text = Annotated[FilterText | None, EmptyIsNone, Query()]
OptionalId = Annotated[Id | None, EmptyIsNone, Query()]


def end_of_day(now: datetime, zone: tzinfo) -> datetime:
    """The next local midnight after ``now``: today's tasks are due before it."""
    local = now.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=zone)


def section_of(row: TaskRow, now: datetime, midnight: datetime) -> str:
    due = row.task.due_at
    if due is None:
        return "no_due"
    if row.overdue:
        return "overdue"
    return "today" if due < midnight else "upcoming"


def statuses_for(shown: str) -> tuple[TaskStatus, ...]:
    if shown == "open":
        return OPEN_STATUSES
    return () if shown == "all" else (TaskStatus(shown),)


@router.get("/tasks")
def my_tasks_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    rep: OptionalId = None,
    team: OptionalId = None,
    customer: OptionalId = None,
    kind: Text = None,
    priority: Annotated[TaskPriority | None, EmptyIsNone, Query()] = None,
    status: Annotated[Shown, Query()] = "open",
    q: Text = None,
    sort: Annotated[Sort, Query()] = "due",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    """我的任务: a rep's own tasks; a manager's or admin's, or one rep's, or one team's."""
    now = fenpei.now()
    actor = actor_of(user)
    scope = task_scope(uow, actor)
    words = page_words(request, uow, user)
    wanted_rep = rep
    if rep is None and actor.rep_id is not None and team is None and user.role is Role.rep:
        wanted_rep = actor.rep_id
    narrowed = scoped(
        scope,
        TaskFilter(
            assignee_ids=None if wanted_rep is None else {wanted_rep},
            team_ids=None if team is None else {team},
            statuses=statuses_for(status),
            priorities=(priority,) if priority else (),
            kinds=(kind,) if kind else (),
            customer_id=customer,
            text=q or "",
        ),
    )
    total = uow.tasks.count(narrowed)
    found = uow.tasks.find(narrowed, order=sort, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    midnight = end_of_day(now, words["zone"])
    sections: dict[str, list[TaskRow]] = {name: [] for name in SECTIONS}
    for row in task_rows(uow, found, now):
        sections[section_of(row, now, midnight)].append(row)
    params = {
        "rep": rep or "", "team": team or "", "customer": customer or "", "kind": kind or "",
        "priority": priority.value if priority else "", "status": status, "q": q or "",
        "sort": sort,
    }  # fmt: skip
    t = translator(page_language(request))
    offered = choices(uow, actor)
    context: dict[str, Any] = {
        "user": user,
        "active": "tasks",
        "tab": "list",
        "sections": sections,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "params": params,
        "query": lambda **changed: urlencode({**params, **changed}),
        "statuses": list(TaskStatus),
        "priorities": list(TaskPriority),
        "type_label": kind_label(t, "task_type", offered["task_types"]),
        "now": now,
        **offered,
        **words,
    }
    return render(request, "tasks/list.html", context, fragment="tasks/_results.html")
