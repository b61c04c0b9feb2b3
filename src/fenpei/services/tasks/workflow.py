"""Working a task: its status, progress, checklist and comments; completing, rating and
chasing (催办) it. Each change is a history line; the ones someone should hear about are
messages (an @mention, a 催办, a completion to rate, a rating)."""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.errors import FieldError, NotFound, ValidationFailed
from fenpei.domain.events import TaskReminderKind
from fenpei.domain.phrases import Phrase
from fenpei.domain.tasks import (
    MAX_CHECKLIST_ITEMS,
    MAX_CHECKLIST_TEXT,
    MAX_COMMENT,
    MAX_NOTE,
    ChecklistItem,
    Task,
    TaskComment,
    TaskEventKind,
    TaskStatus,
    check_transition,
    clean_text,
    mentioned_names,
    score,
)
from fenpei.domain.users import Actor
from fenpei.services import _audit
from fenpei.services.notifications.events import manager_user_ids
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks._access import overseeable_task, workable_task
from fenpei.services.tasks.events import emit_task_reminder
from fenpei.services.tasks.records import log, set_status
from fenpei.services.tasks.recurrence import after_closing


def _status(value: str) -> TaskStatus:
    try:
        return TaskStatus(value.strip())
    except ValueError:
        raise ValidationFailed(
            [
                FieldError(
                    "status",
                    Phrase("task.status", "must be todo, in_progress, blocked, done or cancelled"),
                )
            ]
        ) from None


def change_status(
    *,
    uow: UnitOfWork,
    actor: Actor,
    task_id: int,
    status: str,
    now: datetime,
    reason: str | None = None,
) -> Task:
    """Move the task along its workflow (a board's drag does this). Blocked needs a
    reason; done sets the completion time and 100%; reopening clears it. To finish with
    an evaluation, use ``complete``."""
    task = workable_task(uow, actor, task_id, "change tasks")
    to = _status(status)
    check_transition(task, to)
    errors: list[FieldError] = []
    why = clean_text("reason", reason, MAX_NOTE, errors)
    if to is TaskStatus.blocked and why is None and not errors:
        errors.append(FieldError("reason", Phrase("task.blocked_reason",
                                                  "say what blocks the task")))  # fmt: skip
    if errors:
        raise ValidationFailed(errors)
    set_status(uow, task, to, actor=actor, now=now, reason=why)
    if to is TaskStatus.done:
        _tell_creator(uow, task, now, actor)
    if not to.is_open:
        after_closing(uow=uow, task=task, actor=actor, now=now)
    return task


def set_progress(*, uow: UnitOfWork, actor: Actor, task_id: int, progress: int,
                 now: datetime) -> Task:  # fmt: skip
    """Set the percentage done (0-100); a task still to do starts by it."""
    task = workable_task(uow, actor, task_id, "change tasks")
    errors: list[FieldError] = []
    value = score("progress", progress, errors, low=0, high=100)
    if errors or value is None:
        raise ValidationFailed(errors)
    if not task.is_open:
        raise ValidationFailed(
            [FieldError("progress", Phrase("task.closed", "the task is finished; reopen it first"))]
        )
    previous = task.progress
    task.progress = value
    if task.status is TaskStatus.todo and value > 0:
        task.status = TaskStatus.in_progress
    task.updated_at = now
    log(uow, task, TaskEventKind.progress, actor.name, now, from_progress=previous,
        to_progress=value)  # fmt: skip
    return task


def add_item(*, uow: UnitOfWork, actor: Actor, task_id: int, text: str,
             now: datetime) -> ChecklistItem:  # fmt: skip
    task = workable_task(uow, actor, task_id, "change tasks")
    assert task.id is not None
    errors: list[FieldError] = []
    cleaned = clean_text("text", text, MAX_CHECKLIST_TEXT, errors)
    items = uow.tasks.items(task.id)
    if cleaned is None and not errors:
        errors.append(FieldError("text", Phrase("task.item_text", "is required")))
    if len(items) >= MAX_CHECKLIST_ITEMS:
        errors.append(
            FieldError(
                "text",
                Phrase(
                    "task.items",
                    "a checklist holds at most {limit} items",
                    limit=MAX_CHECKLIST_ITEMS,
                ),
            )
        )
    if errors:
        raise ValidationFailed(errors)
    assert cleaned is not None
    position = max((i.position for i in items), default=-1) + 1
    item = ChecklistItem(task_id=task.id, text=cleaned, position=position)
    uow.tasks.add_item(item)
    task.updated_at = now
    return item


def _item(uow: UnitOfWork, task: Task, item_id: int) -> ChecklistItem:
    item = uow.tasks.get_item(item_id)
    if item is None or item.task_id != task.id:
        raise NotFound("checklist item", item_id)
    return item


def check_item(*, uow: UnitOfWork, actor: Actor, task_id: int, item_id: int, done: bool,
               now: datetime) -> ChecklistItem:  # fmt: skip
    """Tick or untick a checklist item (who and when are kept)."""
    task = workable_task(uow, actor, task_id, "change tasks")
    item = _item(uow, task, item_id)
    item.done = done
    item.done_by, item.done_at = (actor.name, now) if done else (None, None)
    task.updated_at = now
    return item


def remove_item(*, uow: UnitOfWork, actor: Actor, task_id: int, item_id: int,
                now: datetime) -> None:  # fmt: skip
    task = workable_task(uow, actor, task_id, "change tasks")
    uow.tasks.delete_item(_item(uow, task, item_id))
    task.updated_at = now


def comment(*, uow: UnitOfWork, actor: Actor, task_id: int, body: str,
            now: datetime) -> TaskComment:  # fmt: skip
    """Add a comment; each @username it mentions (an active user who may see the task)
    gets a message."""
    task = workable_task(uow, actor, task_id, "comment on tasks")
    assert task.id is not None
    errors: list[FieldError] = []
    text = clean_text("body", body, MAX_COMMENT, errors)
    if text is None and not errors:
        errors.append(FieldError("body", Phrase("task.comment", "is required")))
    if errors:
        raise ValidationFailed(errors)
    assert text is not None
    users = [uow.users.by_username(name) for name in mentioned_names(text)]
    mentioned = [u.id for u in users if u is not None and u.active and u.id is not None]
    note = TaskComment(task_id=task.id, author=actor.name, body=text, at=now, mentions=mentioned)
    uow.tasks.add_comment(note)
    log(uow, task, TaskEventKind.commented, actor.name, now, mentions=mentioned)
    if mentioned:
        emit_task_reminder(uow, kind=TaskReminderKind.mentioned, task=task, now=now,
                           user_ids=mentioned, actor=actor.name, note=text[:200])  # fmt: skip
    return note


def complete(*, uow: UnitOfWork, actor: Actor, task_id: int, now: datetime,
             difficulty: int | None = None, note: str | None = None) -> Task:  # fmt: skip
    """Finish the task with the assignee's evaluation: how hard it was (1-5) and notes.
    The creator hears of it, to rate it."""
    task = workable_task(uow, actor, task_id, "complete tasks")
    errors: list[FieldError] = []
    hard = score("difficulty", difficulty, errors)
    said = clean_text("note", note, MAX_NOTE, errors)
    if errors:
        raise ValidationFailed(errors)
    check_transition(task, TaskStatus.done)
    before = _audit.snapshot(task)
    previous = TaskStatus(task.status)
    task.status, task.completed_at, task.progress = TaskStatus.done, now, 100
    task.difficulty, task.completion_note, task.blocked_reason = hard, said, None
    task.updated_at = now
    log(uow, task, TaskEventKind.status, actor.name, now, from_status=previous.value,
        to_status=TaskStatus.done.value, reason=None)  # fmt: skip
    log(uow, task, TaskEventKind.completed, actor.name, now, difficulty=hard, note=said)
    _audit.record(uow, actor=actor, action="complete", obj=task, now=now, before=before)
    _tell_creator(uow, task, now, actor)
    after_closing(uow=uow, task=task, actor=actor, now=now)
    return task


def _tell_creator(uow: UnitOfWork, task: Task, now: datetime, actor: Actor) -> None:
    creator = task.created_by_user_id
    if creator is not None and creator != actor.user_id:
        emit_task_reminder(uow, kind=TaskReminderKind.completed, task=task, now=now,
                           user_ids=[creator], actor=actor.name)  # fmt: skip


def rate(*, uow: UnitOfWork, actor: Actor, task_id: int, now: datetime, quality: int,
         satisfaction: int, note: str | None = None) -> Task:  # fmt: skip
    """The creator's or a manager's rating of a finished task: quality and satisfaction
    (1-5 each) and a note; rating again replaces it. The assignee hears of it."""
    task = overseeable_task(uow, actor, task_id, "rate tasks")
    errors: list[FieldError] = []
    good = score("quality", quality, errors)
    pleased = score("satisfaction", satisfaction, errors)
    said = clean_text("note", note, MAX_NOTE, errors)
    if task.status is not TaskStatus.done:
        errors.append(FieldError("status", Phrase("task.rate_done",
                                                  "only a finished task is rated")))  # fmt: skip
    if errors:
        raise ValidationFailed(errors)
    before = _audit.snapshot(task)
    task.quality, task.satisfaction, task.rating_note = good, pleased, said
    task.rated_by, task.rated_at, task.updated_at = actor.name, now, now
    log(uow, task, TaskEventKind.rated, actor.name, now, quality=good, satisfaction=pleased,
        note=said)  # fmt: skip
    _audit.record(uow, actor=actor, action="rate", obj=task, now=now, before=before)
    if task.assignee_id is not None:
        emit_task_reminder(uow, kind=TaskReminderKind.rated, task=task, now=now,
                           rep_ids=[task.assignee_id], actor=actor.name, note=said)  # fmt: skip
    return task


def chase(*, uow: UnitOfWork, actor: Actor, task_id: int, now: datetime,
          note: str | None = None) -> Task:  # fmt: skip
    """催办: a manager (or the creator) presses the assignee on an open task; recorded,
    and the assignee gets a message at once."""
    task = overseeable_task(uow, actor, task_id, "chase tasks")
    errors: list[FieldError] = []
    said = clean_text("note", note, MAX_NOTE, errors)
    if not task.is_open:
        errors.append(FieldError("status", Phrase("task.chase_open",
                                                  "only an open task is chased")))  # fmt: skip
    if task.assignee_id is None:
        errors.append(FieldError("assignee_id", Phrase("task.chase_nobody",
                                                       "the task has no assignee")))  # fmt: skip
    if errors:
        raise ValidationFailed(errors)
    assert task.assignee_id is not None
    log(uow, task, TaskEventKind.chased, actor.name, now, note=said)
    _audit.record(uow, actor=actor, action="chase", obj=task, now=now)
    emit_task_reminder(uow, kind=TaskReminderKind.chased, task=task, now=now,
                       rep_ids=[task.assignee_id], actor=actor.name, note=said)  # fmt: skip
    return task


def managers_of(uow: UnitOfWork, task: Task) -> list[int]:
    """Who manages the task's assignee (their team's manager, or the nearest above)."""
    rep = uow.reps.get(task.assignee_id) if task.assignee_id is not None else None
    return manager_user_ids(uow, rep.team_id if rep is not None else task.team_id)
