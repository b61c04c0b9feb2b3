"""The next occurrence of a recurring task, made when this one is finished or cancelled.

The new task copies the title, description, type, category, priority, urgency, effort,
customers, team and recurrence, with the checklist unticked; it belongs to the same series
(``series_id``: the first task's id) and says where it came from (origin ``recurrence``,
``origin_ref`` ``recurrence:<series>:<pattern date>``: the date the pattern gave before any
move to a working day, so the series does not drift). It is due on the pattern's next date
at the same local time, in the assignee's zone, and is routed again like a new task; if no
rule gives it to anyone it stays with the same assignee. A task reopened and finished
again does not make a second one.
"""

from __future__ import annotations

from datetime import date, datetime

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.task_recurrence import next_date, pattern_date
from fenpei.domain.tasks import Recurrence, Task, TaskEventKind, TaskOrigin, recurrence
from fenpei.domain.users import SYSTEM, Actor
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.policies import task_calendar
from fenpei.services.tasks.records import TaskInput, give_task, log, task_categories, task_types

_PREFIX = "recurrence:"


def _pattern_day(task: Task, local_due: date) -> date:
    """The pattern's date this task stands for (before any move to a working day)."""
    ref = task.origin_ref or ""
    if task.origin is TaskOrigin.recurrence and ref.startswith(_PREFIX):
        try:
            return date.fromisoformat(ref.rsplit(":", 1)[1])
        except ValueError:
            pass
    return local_due


def _already_made(uow: UnitOfWork, task: Task) -> bool:
    assert task.id is not None
    return any(
        e.kind is TaskEventKind.edited and e.detail.get("next_task_id")
        for e in uow.tasks.history(task.id)
    )


def make_next(*, uow: UnitOfWork, task: Task, actor: Actor, now: datetime) -> Task | None:
    """Create the next occurrence of ``task`` if it recurs (and none was made yet)."""
    if not task.recurrence or task.due_at is None or task.id is None or _already_made(uow, task):
        return None
    rule = recurrence(task.recurrence, [])
    if rule is None:
        return None
    calendar = task_calendar(uow, task, task.due_at)
    local = task.due_at.astimezone(calendar.zone)
    pattern = _pattern_day(task, local.date())
    day = next_date(rule, pattern, lambda d: bool(calendar.spans_on(d)))
    due = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=calendar.zone)
    start = due - (task.due_at - task.start_at) if task.start_at is not None else None
    series = task.series_id or task.id
    data = _copy(uow, task, rule, series, pattern_day=pattern_date(rule, pattern), start=start,
                 due=due)  # fmt: skip
    new = create_and_route(uow=uow, actor=SYSTEM, now=now, data=data)
    new.series_id = series
    new.created_by, new.created_by_user_id = task.created_by, task.created_by_user_id
    if new.assignee_id is None and task.assignee_id is not None:
        give_task(uow=uow, task=new, rep_id=task.assignee_id, actor=SYSTEM, now=now,
                  method="recurrence", reason="as the last occurrence")  # fmt: skip
    log(uow, task, TaskEventKind.edited, actor.name, now, fields=["next_occurrence"],
        next_task_id=new.id)  # fmt: skip
    return new


def _copy(
    uow: UnitOfWork,
    task: Task,
    rule: Recurrence,
    series: int,
    *,
    pattern_day: date,
    start: datetime | None,
    due: datetime,
) -> TaskInput:
    """The next occurrence's fields; a type or category retired since is left out, and
    so is a customer deleted since (the series goes on without them)."""
    assert task.id is not None
    customers = [
        cid
        for cid in uow.tasks.customer_ids([task.id]).get(task.id, [])
        if (c := uow.customers.get(cid)) is not None and c.deleted_at is None
    ]
    return TaskInput(
        title=task.title,
        description=task.description,
        kind=task.kind if task.kind in {v.code for v in task_types(uow)} else None,
        category=task.category if task.category in {v.code for v in task_categories(uow)} else None,
        priority=str(task.priority),
        urgency=task.urgency,
        customer_ids=customers,
        start_at=start,
        due_at=due,
        effort_hours=task.effort_hours,
        recurrence=rule.to_json(),
        origin=TaskOrigin.recurrence,
        origin_ref=f"{_PREFIX}{series}:{pattern_day.isoformat()}",
        team_id=task.team_id,
        checklist=[item.text for item in uow.tasks.items(task.id)],
    )


def after_closing(*, uow: UnitOfWork, task: Task, actor: Actor, now: datetime) -> None:
    """Called when a task is finished or cancelled: its next occurrence, if it recurs.
    A next one that cannot be made (its fields no longer valid) never blocks the closing."""
    try:
        make_next(uow=uow, task=task, actor=actor, now=now)
    except ValidationFailed as exc:
        log(uow, task, TaskEventKind.edited, actor.name, now, fields=["next_occurrence"],
            next_task_id=None, problem=str(exc)[:200])  # fmt: skip
