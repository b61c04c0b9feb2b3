"""What the task pages share: the viewer's time zone, a task as a row (its customers,
assignee, due time and whether it is overdue, in words), the filter a scope allows, and a
bad form's errors by field in the page's language."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request

from fenpei.domain.categories import CategoryValue
from fenpei.domain.errors import FieldError
from fenpei.domain.tasks import OPEN_STATUSES, Task, TaskFilter
from fenpei.domain.users import Actor, User
from fenpei.http.reads import Names
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks._access import TaskScope, task_scope
from fenpei.services.tasks.records import task_categories, task_types
from fenpei.web._category_words import value_label
from fenpei.web._said import said
from fenpei.web.i18n import Translate, time_formatter, translator
from fenpei.web.rendering import page_language

# Errors the task services write as plain English, said in the page's words.
_PLAIN = {
    "no such customer": "tasks.error.no_customer",
    "no such team": "tasks.error.no_team",
    "an item is longer than 300 characters": "tasks.error.item_long",
    "is required": "new.required",
}


def viewer_zone(uow: UnitOfWork, user: User, default: tzinfo) -> tzinfo:
    """The signed-in person's zone: their rep's, else the configured one."""
    rep = uow.reps.get(user.rep_id) if user.rep_id is not None else None
    if rep is not None and rep.time_zone:
        try:
            return ZoneInfo(rep.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return default
    return default


def page_words(request: Request, uow: UnitOfWork, user: User) -> dict[str, Any]:
    """``when`` in the viewer's zone (it replaces the configured zone's), and ``zone``."""
    zone = viewer_zone(uow, user, request.app.state.fenpei.settings.zone)
    return {"when": time_formatter(page_language(request), zone), "zone": zone}


def field_messages(request: Request, errors: Iterable[FieldError]) -> dict[str, str]:
    """Errors by field (``recurrence.day`` → ``recurrence``), the first of each shown."""
    t = translator(page_language(request))
    shown: dict[str, str] = {}
    for error in errors:
        message = error.message
        key = _PLAIN.get(str(message)) if not hasattr(message, "key") else None
        text = t(key) if key else said(t, message)
        shown.setdefault(error.field.split("[")[0].split(".")[0], text)
    return shown


def scoped(scope: TaskScope, f: TaskFilter) -> TaskFilter:
    """``f`` narrowed to the reps whose tasks the scope shows (a rep: their own)."""
    if scope.rep_ids is None:
        return f
    wanted = scope.rep_ids if f.assignee_ids is None else scope.rep_ids & set(f.assignee_ids)
    return TaskFilter(
        assignee_ids=wanted, statuses=f.statuses, priorities=f.priorities, kinds=f.kinds,
        customer_id=f.customer_id, team_ids=f.team_ids, due_from=f.due_from,
        due_before=f.due_before, overdue_at=f.overdue_at, text=f.text,
    )  # fmt: skip


@dataclass(frozen=True)
class TaskRow:
    """One task as a list, a card or a calendar shows it."""

    task: Task
    customers: list[tuple[int, str]]  # (id, name), the main one first
    assignee: str | None
    overdue: bool

    @property
    def id(self) -> int:
        assert self.task.id is not None
        return self.task.id


def task_rows(uow: UnitOfWork, tasks: Collection[Task], now: datetime) -> list[TaskRow]:
    """The tasks with their customers' and assignees' names (one query for the links)."""
    names = Names(uow)
    linked = uow.tasks.customer_ids([t.id for t in tasks if t.id is not None])
    rows = []
    for task in tasks:
        customers = []
        for customer_id in linked.get(task.id or 0, []):
            customer = uow.customers.get(customer_id)
            if customer is not None and customer.deleted_at is None:
                customers.append((customer_id, customer.name))
        rows.append(TaskRow(task, customers, names.rep(task.assignee_id), task.is_overdue(now)))
    return rows


def choices(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """What the filters and the form offer: reps and teams in scope, types, categories."""
    scope = task_scope(uow, actor)
    reps = [
        r for r in uow.reps.all()
        if r.active and (scope.rep_ids is None or r.id in scope.rep_ids)
    ]  # fmt: skip
    teams = [
        team for team in uow.teams.all() if scope.team_ids is None or team.id in scope.team_ids
    ]
    return {
        "reps": reps,
        "teams": teams,
        "task_types": task_types(uow),
        "task_categories": task_categories(uow),
    }


def kind_label(
    t: Translate, key: str, values: Collection[CategoryValue]
) -> Callable[[str | None], str]:
    """A task type's or category's label from its code (the code when it is gone)."""
    labels = {v.code: value_label(t, key, v) for v in values}

    def label(code: str | None) -> str:
        return "" if code is None else str(labels.get(code, code))

    return label


CUSTOMER_TASKS_SHOWN = 5


def customer_tasks_context(
    uow: UnitOfWork, actor: Actor, customer_id: int, now: datetime
) -> dict[str, Any]:
    """The customer page's small section: its open tasks the viewer may see."""
    f = scoped(task_scope(uow, actor), TaskFilter(customer_id=customer_id, statuses=OPEN_STATUSES))
    found = uow.tasks.find(f, limit=CUSTOMER_TASKS_SHOWN)
    return {"open_tasks": task_rows(uow, found, now), "open_task_count": uow.tasks.count(f)}
