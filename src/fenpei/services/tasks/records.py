"""Create a task and give it to a rep by hand; write its history lines.

Routing a new task through the engine is ``services.tasks.routing``; ``intake`` joins the
two (create, then route unless an assignee was named).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fenpei.domain.categories import CategoryValue
from fenpei.domain.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.tasks import (
    TASK_CATEGORIES,
    TASK_TYPES,
    ChecklistItem,
    Task,
    TaskEvent,
    TaskEventKind,
    TaskOrigin,
    TaskStatus,
    new_task,
)
from fenpei.domain.users import Actor, Role
from fenpei.services import _audit, scope
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks._access import require_task_writer
from fenpei.services.tasks.capacity import check_task_capacity
from fenpei.services.tasks.events import emit_task_assigned


@dataclass(frozen=True)
class TaskInput:
    """A new task as typed (a form, the API, the CLI) or made by the system."""

    title: str
    description: str | None = None
    kind: str | None = None
    category: str | None = None
    priority: str | None = None
    urgency: int | None = None
    customer_ids: Sequence[int] = ()
    start_at: datetime | None = None
    due_at: datetime | None = None
    effort_hours: object = None
    recurrence: dict[str, Any] | None = None
    origin: TaskOrigin = TaskOrigin.manual
    origin_ref: str | None = None
    team_id: int | None = None
    checklist: Sequence[str] = field(default_factory=tuple)


def _usable(uow: UnitOfWork, key: str) -> list[CategoryValue]:
    category = uow.categories.get(key)
    if category is None or category.id is None:
        return []
    return [value for value in uow.categories.values(category.id) if value.usable]


def task_types(uow: UnitOfWork) -> list[CategoryValue]:
    """The kinds of task one may create now (the ``task_type`` category's values)."""
    return _usable(uow, TASK_TYPES)


def task_categories(uow: UnitOfWork) -> list[CategoryValue]:
    """The task categories one may file a task under (``task_category``)."""
    return _usable(uow, TASK_CATEGORIES)


def log(
    uow: UnitOfWork, task: Task, kind: TaskEventKind, actor: str, now: datetime, **detail: Any
) -> None:
    """One line of the task's history."""
    assert task.id is not None
    uow.tasks.add_event(TaskEvent(task_id=task.id, kind=kind, actor=actor, at=now, detail=detail))


def _linked(uow: UnitOfWork, actor: Actor, ids: Sequence[int]) -> list[FieldError]:
    """Linked customers must exist and be in the actor's scope (named by position)."""
    visible = scope.data_scope(uow=uow, actor=actor)
    errors: list[FieldError] = []
    for position, customer_id in enumerate(ids):
        customer = uow.customers.get(customer_id)
        if (
            customer is None
            or customer.deleted_at is not None
            or not visible.covers_customer(customer)
        ):
            errors.append(FieldError(f"customer_ids[{position}]", "no such customer"))
    return errors


def create_task(*, uow: UnitOfWork, actor: Actor, data: TaskInput, now: datetime) -> Task:
    """Check and store a new, unassigned task with its customers and checklist; audited.
    Every bad field is named at once; nothing is written then."""
    require_task_writer(actor, "create tasks")
    errors: list[FieldError] = []
    task: Task | None = None
    try:
        task = new_task(
            title=data.title, created_by=actor.name, now=now,
            kinds={v.code for v in task_types(uow)},
            categories={v.code for v in task_categories(uow)},
            description=data.description, kind=data.kind, category=data.category,
            priority=data.priority, urgency=data.urgency, customer_ids=data.customer_ids,
            start_at=data.start_at, due_at=data.due_at, effort_hours=data.effort_hours,
            recurrence_json=data.recurrence, origin=data.origin, origin_ref=data.origin_ref,
        )  # fmt: skip
    except ValidationFailed as exc:
        errors += exc.errors
    errors += _linked(uow, actor, list(dict.fromkeys(data.customer_ids)))
    if data.team_id is not None and uow.teams.get(data.team_id) is None:
        errors.append(FieldError("team_id", "no such team"))
    items = [text.strip() for text in data.checklist if text.strip()]
    if any(len(text) > 300 for text in items):
        errors.append(FieldError("checklist", "an item is longer than 300 characters"))
    if errors:
        raise ValidationFailed(errors)
    assert task is not None
    task.team_id = data.team_id
    task.created_by_user_id = actor.user_id
    uow.tasks.add(task)
    assert task.id is not None
    uow.tasks.link_customers(task.id, list(dict.fromkeys(data.customer_ids)))
    for position, text in enumerate(items):
        uow.tasks.add_item(ChecklistItem(task_id=task.id, text=text, position=position))
    log(uow, task, TaskEventKind.created, actor.name, now, origin=str(task.origin))
    _audit.record(uow, actor=actor, action="create", obj=task, now=now)
    return task


def give_task(
    *,
    uow: UnitOfWork,
    task: Task,
    rep_id: int,
    actor: Actor,
    now: datetime,
    method: str = "manual",
    reason: str | None = None,
    decision: dict[str, Any] | None = None,
    override_capacity: bool = False,
) -> Task:
    """Make ``rep_id`` the task's assignee (the team follows the rep), with its history
    line, its audit entry and its message. The caller checked scope. The rep's row is
    locked and their task capacity checked under it (``CapacityExceeded``), unless a
    manager chose to override it."""
    rep = uow.reps.get(rep_id, lock=True)
    if rep is None or rep.id is None:
        raise NotFound("rep", rep_id)
    if not override_capacity:
        check_task_capacity(uow, rep, task)
    before = _audit.snapshot(task)
    previous = task.assignee_id
    task.assignee_id = rep.id
    task.team_id = rep.team_id if rep.team_id is not None else task.team_id
    task.decision = decision
    task.updated_at = now
    kind = TaskEventKind.assigned if previous is None else TaskEventKind.reassigned
    log(uow, task, kind, actor.name, now, from_rep_id=previous, to_rep_id=rep.id,
        method=method, reason=reason)  # fmt: skip
    _audit.record(uow, actor=actor, action="assign", obj=task, now=now, before=before)
    emit_task_assigned(uow, task=task, now=now, from_rep_id=previous, method=method,
                       actor=actor.name, reason=reason)  # fmt: skip
    return task


def set_status(
    uow: UnitOfWork,
    task: Task,
    to: TaskStatus,
    *,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Move the task to ``to`` (the caller checked the move and who may make it), with
    its history line and audit entry: done sets the completion time and 100%, cancelled
    the completion time, reopening clears it; only a blocked task keeps ``reason``."""
    before = _audit.snapshot(task)
    previous = TaskStatus(task.status)
    task.status = to
    task.blocked_reason = reason if to is TaskStatus.blocked else None
    if to is TaskStatus.done:
        task.completed_at, task.progress = now, 100
    else:
        task.completed_at = None if to.is_open else now
    task.updated_at = now
    log(uow, task, TaskEventKind.status, actor.name, now, from_status=previous.value,
        to_status=to.value, reason=reason)  # fmt: skip
    _audit.record(uow, actor=actor, action="status", obj=task, now=now, before=before)


def check_giver(uow: UnitOfWork, actor: Actor, rep_id: int) -> None:
    """A rep may name only themselves as assignee; a manager a rep in their scope."""
    if actor.role is Role.rep and actor.rep_id != rep_id:
        raise PermissionDenied("a rep may only take a task themselves")
    visible = scope.data_scope(uow=uow, actor=actor)
    scope.visible_rep(visible, uow.reps.get(rep_id), rep_id)
