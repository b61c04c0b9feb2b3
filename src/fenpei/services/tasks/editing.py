"""Editing a task after it was created: its fields, its assignee by hand, routing it again.

Fields are checked exactly as at creation (``domain.tasks.new_task`` runs over the task as
it would be after the change), so an edit cannot make a task creation would refuse. Who
may edit: the task's creator, a manager over it, or an admin — the assignee works a task
(status, progress, checklist, comments) but does not move its due date.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.tasks import Task, TaskEventKind, new_task
from fenpei.domain.users import Actor
from fenpei.services import _audit
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks._access import overseeable_task
from fenpei.services.tasks.records import (
    _linked,
    check_giver,
    give_task,
    log,
    task_categories,
    task_types,
)
from fenpei.services.tasks.routing import route_task

EDITABLE = (
    "title",
    "description",
    "kind",
    "category",
    "priority",
    "urgency",
    "start_at",
    "due_at",
    "effort_hours",
    "customer_ids",
    "recurrence",
)


def _current(uow: UnitOfWork, task: Task) -> dict[str, Any]:
    assert task.id is not None
    return {
        "title": task.title,
        "description": task.description,
        "kind": task.kind,
        "category": task.category,
        "priority": str(task.priority),
        "urgency": task.urgency,
        "start_at": task.start_at,
        "due_at": task.due_at,
        "effort_hours": task.effort_hours,
        "customer_ids": uow.tasks.customer_ids([task.id]).get(task.id, []),
        "recurrence": task.recurrence,
    }


def _allowed(usable: Collection[str], current: str | None) -> set[str]:
    """The usable codes, and the task's own even if retired since: keeping it is no change."""
    return set(usable) | ({current} if current else set())


def edit_task(
    *, uow: UnitOfWork, actor: Actor, task_id: int, changes: Mapping[str, Any], now: datetime
) -> Task:
    """Change the given fields (a field given as None is cleared; the title cannot be);
    every bad field is named at once and nothing is written. A history line names the
    fields that changed; an edit changing nothing writes nothing. The caller commits."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationFailed([FieldError(name, "cannot be edited") for name in unknown])
    task = overseeable_task(uow, actor, task_id, "edit tasks")
    assert task.id is not None
    current = _current(uow, task)
    wanted = current | dict(changes)
    customer_ids = list(dict.fromkeys(wanted["customer_ids"] or []))
    errors: list[FieldError] = []
    checked: Task | None = None
    try:
        checked = new_task(
            title=wanted["title"] or "",
            created_by=task.created_by,
            now=now,
            kinds=_allowed({v.code for v in task_types(uow)}, task.kind),
            categories=_allowed({v.code for v in task_categories(uow)}, task.category),
            description=wanted["description"],
            kind=wanted["kind"],
            category=wanted["category"],
            priority=wanted["priority"],
            urgency=wanted["urgency"],
            customer_ids=customer_ids,
            start_at=wanted["start_at"],
            due_at=wanted["due_at"],
            effort_hours=wanted["effort_hours"],
            recurrence_json=wanted["recurrence"],
        )
    except ValidationFailed as exc:
        errors += exc.errors
    if customer_ids != current["customer_ids"]:
        errors += _linked(uow, actor, customer_ids)
    if errors:
        raise ValidationFailed(errors)
    assert checked is not None
    after = {
        "title": checked.title,
        "description": checked.description,
        "kind": checked.kind,
        "category": checked.category,
        "priority": str(checked.priority),
        "urgency": checked.urgency,
        "start_at": checked.start_at,
        "due_at": checked.due_at,
        "effort_hours": checked.effort_hours,
        "customer_ids": customer_ids,
        "recurrence": checked.recurrence,
    }
    changed = [name for name in EDITABLE if after[name] != current[name]]
    if not changed:
        return task
    before = _audit.snapshot(task)
    for name in changed:
        if name == "customer_ids":
            uow.tasks.link_customers(task.id, customer_ids)
            task.customer_id = customer_ids[0] if customer_ids else None
        elif name == "priority":
            task.priority = checked.priority
        else:
            setattr(task, name, after[name])
    _rearm_timers(task, changed)
    task.updated_at = now
    log(uow, task, TaskEventKind.edited, actor.name, now, fields=changed)
    _audit.record(uow, actor=actor, action="update", obj=task, now=now, before=before)
    return task


def _rearm_timers(task: Task, changed: Collection[str]) -> None:
    """A new start or due time is reminded of afresh: the reminders, the overdue mark and
    the escalation written for the old one no longer hold."""
    if "start_at" in changed:
        task.started_reminded_at = None
    if "due_at" in changed:
        task.before_due_reminded_at = task.due_reminded_at = None
        task.overdue_at = task.escalated_at = None


def reassign_task(
    *,
    uow: UnitOfWork,
    actor: Actor,
    task_id: int,
    rep_id: int,
    now: datetime,
    reason: str | None = None,
) -> Task:
    """Give the task to ``rep_id`` by hand (a rep may only take it themselves; a manager
    names a rep in their scope). The caller commits."""
    task = overseeable_task(uow, actor, task_id, "reassign tasks")
    errors: list[FieldError] = []
    if task.assignee_id == rep_id:
        errors.append(FieldError("rep_id", "already has the task"))
    if not task.is_open:
        errors.append(FieldError("status", "only an open task is reassigned"))
    if errors:
        raise ValidationFailed(errors)
    check_giver(uow, actor, rep_id)
    return give_task(
        uow=uow, task=task, rep_id=rep_id, actor=actor, now=now, method="manual", reason=reason
    )


def route_again(*, uow: UnitOfWork, actor: Actor, task_id: int, now: datetime) -> Task:
    """Ask the router who should have the task now (after an edit, say); it may keep its
    assignee, get another, or stay as it is when nobody fits. The caller commits."""
    task = overseeable_task(uow, actor, task_id, "route tasks")
    if not task.is_open:
        raise ValidationFailed.one("status", "only an open task is routed")
    return route_task(uow=uow, task=task, actor=actor, now=now)
