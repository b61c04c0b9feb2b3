"""What a task change writes to the outbox, in its own transaction: sent only if it commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fenpei.domain.events import EventType, TaskReminderKind, new_event
from fenpei.domain.tasks import Task
from fenpei.services.notifications.events import local_time
from fenpei.services.ports import UnitOfWork


def _base(task: Task, now: datetime) -> dict[str, object]:
    return {
        "task_id": task.id,
        "task_title": task.title,
        "customer_id": task.customer_id,
        "to_rep_id": task.assignee_id,
        "priority": str(task.priority),
        "due": task.due_at.isoformat() if task.due_at is not None else None,
        "at": now.isoformat(),
    }


def emit_task_assigned(
    uow: UnitOfWork,
    *,
    task: Task,
    now: datetime,
    from_rep_id: int | None,
    method: str,
    actor: str,
    reason: str | None = None,
) -> None:
    """The task has a new assignee (``task.assignee_id``): routed, given or reassigned."""
    payload = _base(task, now) | {
        "from_rep_id": from_rep_id,
        "method": method,
        "actor": actor,
        "reason": reason,
        "due_text": local_time(uow, task.assignee_id, task.due_at),
    }
    uow.outbox.add(new_event(EventType.task_assigned, payload, now=now))


def emit_task_reminder(
    uow: UnitOfWork,
    *,
    kind: TaskReminderKind,
    task: Task,
    now: datetime,
    rep_ids: Sequence[int] = (),
    user_ids: Sequence[int] = (),
    actor: str | None = None,
    note: str | None = None,
) -> None:
    """A message about ``task`` to the users of ``rep_ids`` and to ``user_ids``."""
    payload = _base(task, now) | {
        "kind": kind.value,
        "rep_ids": list(dict.fromkeys(rep_ids)),
        "user_ids": list(dict.fromkeys(user_ids)),
        "actor": actor,
        "reason": note,
        "due_text": local_time(uow, task.assignee_id, task.due_at),
    }
    uow.outbox.add(new_event(EventType.task_reminder, payload, now=now))
