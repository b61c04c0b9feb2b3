"""Task timer policies (admin-set, per priority) and the business calendar a task's timers
count in: its assignee's working hours and zone, with China's holidays and make-up
workdays (services/sla/calendars.py); an unassigned task counts in the default hours."""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.business_time import WorkCalendar
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.phrases import Phrase
from fenpei.domain.sla import CALENDAR_CN
from fenpei.domain.task_timers import TimerPolicy, check_policy, default_policy, parse_hours
from fenpei.domain.tasks import Task, TaskPriority
from fenpei.domain.users import Actor
from fenpei.services import _audit, scope
from fenpei.services.ports import UnitOfWork
from fenpei.services.sla.calendars import days_off, work_calendar, zone_of


def timer_policies(uow: UnitOfWork) -> dict[TaskPriority, TimerPolicy]:
    """Every priority's policy: the stored one, else the default."""
    stored = {p.priority: p for p in uow.task_timers.policies()}
    return {level: stored.get(level) or default_policy(level) for level in TaskPriority}


def _priority(value: str) -> TaskPriority:
    try:
        return TaskPriority(value.strip())
    except ValueError:
        raise ValidationFailed(
            [
                FieldError(
                    "priority", Phrase("timer.priority", "must be urgent, high, medium or low")
                )
            ]
        ) from None


def set_timer_policy(
    *,
    uow: UnitOfWork,
    actor: Actor,
    priority: str,
    remind_before_hours: object,
    overdue_after_hours: object,
    escalate_after_hours: object = None,
    reassign_after_hours: object = None,
    now: datetime,
) -> TimerPolicy:
    """Set a priority's timers, in business hours as typed (blank: never, for escalation
    and reassignment); admins only, audited. Every bad field is named; nothing changes."""
    scope.require_admin(actor, "change task timers")
    level = _priority(priority)
    errors: list[FieldError] = []
    remind = parse_hours("remind_before_hours", remind_before_hours, errors, optional=False)
    grace = parse_hours("overdue_after_hours", overdue_after_hours, errors, optional=False)
    escalate = parse_hours("escalate_after_hours", escalate_after_hours, errors, optional=True)
    reassign = parse_hours("reassign_after_hours", reassign_after_hours, errors, optional=True)
    if errors:
        raise ValidationFailed(errors)
    assert remind is not None and grace is not None
    before = timer_policies(uow)[level]
    policy = TimerPolicy(level, remind, grace, escalate, reassign, actor.name, now)
    try:
        check_policy(policy)
    except ValidationFailed as exc:  # name the fields as the caller typed them
        raise ValidationFailed(
            [FieldError(f"{e.field}_hours", e.message) for e in exc.errors]
        ) from None
    uow.task_timers.save_policy(policy)
    _audit.record(uow, actor=actor, action="task_timer.update", obj=policy, now=now,
                  before=_audit.snapshot(before), object_id=level.value)  # fmt: skip
    return policy


def task_calendar(uow: UnitOfWork, task: Task, around: datetime) -> WorkCalendar:
    """The business calendar ``task``'s timers count in (its assignee's)."""
    rep = uow.reps.get(task.assignee_id) if task.assignee_id is not None else None
    if rep is not None:
        return work_calendar(uow, rep, CALENDAR_CN, around)
    holidays, workdays = days_off(uow, CALENDAR_CN, range(around.year - 1, around.year + 3))
    return WorkCalendar({}, zone_of("Asia/Shanghai"), holidays, workdays)
