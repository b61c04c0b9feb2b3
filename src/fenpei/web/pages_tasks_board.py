"""团队看板: the tasks in scope in columns by status. A card is dragged to another column
(static/tasks.js posts its status form) or moved with the form on the card itself (a
select and a button: the keyboard's way, and the way without JavaScript). Blocked asks for
the reason; a move the workflow refuses is shown on the card.

``POST /tasks/{id}/status`` is also the task page's status form: without htmx it goes
back where it came from; with htmx it answers with the board's columns (or the task
page's status box) re-rendered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.tasks import MAX_NOTE, TaskFilter, TaskPriority, TaskStatus
from fenpei.domain.users import User
from fenpei.http.deps import CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.fields import EmptyIsNone, Id
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks import workflow
from fenpei.services.tasks._access import task_scope
from fenpei.web._task_view import TaskRow, choices, field_messages, page_words, scoped, task_rows
from fenpei.web.pages_tasks_page import task_context
from fenpei.web.rendering import is_htmx, render

router = APIRouter(include_in_schema=False)
PER_COLUMN = 100  # cards shown in a column; the list pages through the rest
OptionalId = Annotated[Id | None, EmptyIsNone, Query()]


class StatusForm(BaseModel):
    status: str = Field(default="", max_length=20)
    reason: str = Field(default="", max_length=MAX_NOTE + 100)
    back: Literal["board", "task"] = "task"
    rep: str = Field(default="", max_length=12)
    team: str = Field(default="", max_length=12)


def _id(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 10 else None


def board_context(
    request: Request, uow: UnitOfWork, user: User, now: datetime, rep: int | None,
    team: int | None, problem: tuple[int, dict[str, str], str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The columns, each status's cards, and a refused move's error on its card."""
    actor = actor_of(user)
    columns: dict[TaskStatus, list[TaskRow]] = {}
    for status in TaskStatus:
        f = TaskFilter(
            assignee_ids=None if rep is None else {rep}, team_ids=None if team is None else {team},
            statuses=(status,),
        )  # fmt: skip
        found = uow.tasks.find(
            scoped(task_scope(uow, actor), f), order="priority", limit=PER_COLUMN
        )
        columns[status] = task_rows(uow, found, now)
    return {
        "user": user, "active": "tasks", "tab": "board", "columns": columns,
        "statuses": list(TaskStatus), "priorities": list(TaskPriority),
        "params": {"rep": rep or "", "team": team or ""},
        "problem_task": problem[0] if problem else None,
        "problem": problem[1] if problem else {}, "tried": problem[2] if problem else "",
        **choices(uow, actor), **page_words(request, uow, user),
    }  # fmt: skip


@router.get("/tasks/board")
def board_page(
    request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep,
    rep: OptionalId = None, team: OptionalId = None,
) -> Response:  # fmt: skip
    """团队看板: columns by status (待办 / 进行中 / 受阻 / 已完成 / 已取消)."""
    context = board_context(request, uow, user, fenpei.now(), rep, team)
    return render(request, "tasks/board.html", context, fragment="tasks/_board.html")


@router.post("/tasks/{task_id}/status")
def change_status(
    request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep, task_id: Id,
    form: Annotated[StatusForm, Form()],
) -> Response:  # fmt: skip
    """Move the task to another status (blocked needs the reason)."""
    now = fenpei.now()
    try:
        workflow.change_status(uow=uow, actor=actor_of(user), task_id=task_id,
                               status=form.status, now=now, reason=form.reason or None)  # fmt: skip
    except ValidationFailed as exc:
        uow.rollback()
        shown = field_messages(request, exc.errors)
        if form.back == "board":
            problem = (task_id, shown, form.status)
            context = board_context(request, uow, user, now, _id(form.rep), _id(form.team), problem)
            return render(request, "tasks/board.html", context, status_code=422,
                          fragment="tasks/_board.html")  # fmt: skip
        context = task_context(request, uow, user, task_id, now, {"status": shown})
        return render(request, "tasks/task.html", context, status_code=422)
    uow.commit()
    if form.back == "board":
        if is_htmx(request):
            context = board_context(request, uow, user, now, _id(form.rep), _id(form.team))
            return render(request, "tasks/_board.html", context)
        rep, team = _id(form.rep), _id(form.team)
        query = f"?rep={rep or ''}&team={team or ''}" if rep or team else ""
        return RedirectResponse(f"/tasks/board{query}#task-{task_id}", status_code=303)
    return RedirectResponse(f"/tasks/{task_id}?saved=1#status", status_code=303)
