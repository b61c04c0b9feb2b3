"""新建任务: the form (also opened from a customer page, the customer filled in). An empty
assignee means the task is routed; afterwards its page says who got it and why. A bad
value re-renders the form with the problem next to its field (422, nothing saved)."""

from __future__ import annotations

from datetime import tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from fenpei.domain.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.phrases import Phrase
from fenpei.domain.tasks import MAX_DESCRIPTION, MAX_TITLE, RecurrenceKind, TaskPriority
from fenpei.domain.users import User
from fenpei.http.deps import CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.fields import EmptyIsNone, Id
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks._access import require_task_writer
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput, check_giver
from fenpei.web._form_values import form_local_time
from fenpei.web._task_view import choices, field_messages, page_words
from fenpei.web.rendering import render

router = APIRouter(include_in_schema=False)
WEEKDAYS = range(7)


class TaskForm(BaseModel):
    title: str = Field(default="", max_length=MAX_TITLE + 100)
    description: str = Field(default="", max_length=MAX_DESCRIPTION + 100)
    kind: str = Field(default="", max_length=100)
    category: str = Field(default="", max_length=100)
    priority: str = Field(default="medium", max_length=20)
    urgency: str = Field(default="", max_length=10)
    customers: str = Field(default="", max_length=400)
    assignee: str = Field(default="", max_length=12)
    start_at: str = Field(default="", max_length=40)
    due_at: str = Field(default="", max_length=40)
    effort_hours: str = Field(default="", max_length=20)
    checklist: str = Field(default="", max_length=40_000)
    repeat: str = Field(default="", max_length=20)
    every: str = Field(default="1", max_length=10)
    weekdays: list[str] = Field(default_factory=list, max_length=7)
    day: str = Field(default="", max_length=10)


def _whole(field: str, text: str, errors: list[FieldError]) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 10:
        errors.append(FieldError(field, Phrase("task.whole", "must be a whole number")))
        return None
    return int(text)


def _ids(text: str, errors: list[FieldError]) -> list[int]:
    """Customer ids typed as "12, 15"; anything else is named."""
    found: list[int] = []
    for part in text.replace("，", ",").replace(" ", ",").split(","):
        if part and (value := _whole("customers", part, errors)) is not None:
            found.append(value)
    return found


def _recurrence(form: TaskForm, errors: list[FieldError]) -> dict[str, Any] | None:
    if not form.repeat:
        return None
    if form.repeat not in {k.value for k in RecurrenceKind}:
        wrong = Phrase("task.recurrence_kind", "must be days, weekly or monthly")
        errors.append(FieldError("recurrence", wrong))
        return None
    days = [int(d) for d in form.weekdays if d.isdigit() and len(d) == 1]
    return {"kind": form.repeat, "every": _whole("recurrence", form.every, errors) or 1,
            "weekdays": days, "day": _whole("recurrence", form.day, errors)}  # fmt: skip


def read_form(form: TaskForm, zone: tzinfo) -> tuple[TaskInput, int | None, list[FieldError]]:
    """The form as the service takes it, and the errors of reading it."""
    errors: list[FieldError] = []
    data = TaskInput(
        title=form.title, description=form.description or None, kind=form.kind or None,
        category=form.category or None, priority=form.priority or None,
        urgency=_whole("urgency", form.urgency, errors), customer_ids=_ids(form.customers, errors),
        start_at=form_local_time("start_at", form.start_at, zone, errors),
        due_at=form_local_time("due_at", form.due_at, zone, errors),
        effort_hours=form.effort_hours.strip() or None,
        recurrence=_recurrence(form, errors), checklist=form.checklist.splitlines(),
    )  # fmt: skip
    return data, _whole("assignee", form.assignee, errors), errors


def _form_page(
    request: Request, uow: UnitOfWork, user: User, values: TaskForm, errors: dict[str, str],
    status_code: int = 200,
) -> Response:  # fmt: skip
    prefilled = [
        uow.customers.get(int(part))
        for part in values.customers.split(",")
        if part.strip().isdigit() and len(part.strip()) < 10
    ]
    context = {
        "user": user, "active": "tasks", "tab": "new", "values": values, "errors": errors,
        "priorities": list(TaskPriority), "kinds": list(RecurrenceKind), "weekdays": WEEKDAYS,
        "linked": [c for c in prefilled if c is not None and c.deleted_at is None],
        **choices(uow, actor_of(user)), **page_words(request, uow, user),
    }  # fmt: skip
    return render(request, "tasks/new.html", context, status_code=status_code)


@router.get("/tasks/new")
def new_task_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    customer: Annotated[Id | None, EmptyIsNone, Query()] = None,
) -> Response:
    """新建任务: the form, with ``?customer=`` linked already."""
    require_task_writer(actor_of(user), "create tasks")
    values = TaskForm(customers=str(customer) if customer else "")
    return _form_page(request, uow, user, values, {})


@router.post("/tasks/new")
def create_task_from_form(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    form: Annotated[TaskForm, Form()],
) -> Response:
    """Create the task, give it to the chosen rep or route it, and show it."""
    actor = actor_of(user)
    require_task_writer(actor, "create tasks")
    data, assignee, errors = read_form(form, page_words(request, uow, user)["zone"])
    if assignee is not None:
        try:
            check_giver(uow, actor, assignee)
        except (PermissionDenied, NotFound):
            wrong = Phrase("task.assignee_scope", "is not a rep you may give tasks to")
            errors.append(FieldError("assignee", wrong))
    try:
        if errors:
            raise ValidationFailed([])
        task = create_and_route(
            uow=uow, actor=actor, data=data, now=fenpei.now(), assignee_id=assignee
        )
    except ValidationFailed as exc:
        uow.rollback()
        shown = field_messages(request, errors + exc.errors)
        return _form_page(request, uow, user, form, shown, status_code=422)
    uow.commit()
    return RedirectResponse(f"/tasks/{task.id}?created=1", status_code=303)
