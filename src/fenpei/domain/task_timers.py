"""Task timers (任务提醒): per priority, when the assignee is reminded before a task is due,
when it counts as overdue, when the manager hears of it and when it goes to someone else —
all in business time (the assignee's working hours, China's holidays and make-up workdays).

``stages_reached`` is the pure heart of the ``task-reminders`` job: given a task's times,
its marks (what was already sent) and the policy, which steps are due now. A task first
seen late (the job was down, or the task was created already past due) gets each step
marked, but only the most advanced message is sent to the assignee: "due soon" after
"overdue" would only confuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from fenpei.domain.business_time import NoBusinessTime, WorkCalendar
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.phrases import Phrase
from fenpei.domain.tasks import Task, TaskPriority

MAX_MINUTES = 40 * 60  # a working week of business hours at most for any timer
# How far ahead the job looks for tasks to remind "before due": N business hours before a
# due time lies at most this far back in wall-clock time (a week of hours over a 7-day
# holiday and its weekends); a longer gap is reminded this far ahead.
REMIND_HORIZON = timedelta(days=21)
_HOURS = re.compile(r"[0-9]{1,4}(\.[0-9]{1,6})?")


class Stage(StrEnum):
    """A timer's steps, in the order a task reaches them; each happens once per task."""

    starting = "starting"  # the start time has come
    due_soon = "due_soon"  # N business hours before due
    due = "due"  # the due time has come
    overdue = "overdue"  # past due by the grace (sets ``task.overdue_at``)
    escalated = "escalated"  # past due by X: the manager is told
    reassigned = "reassigned"  # past due by Y: routed to someone else


# The steps whose message goes to the assignee (the latest one reached is sent).
ASSIGNEE_STAGES = (Stage.starting, Stage.due_soon, Stage.due, Stage.overdue)


@dataclass(eq=False)
class TimerPolicy:
    """One priority's timers, in business minutes. ``escalate_after`` / ``reassign_after``
    None: never. ``overdue_after``: the grace past due before a task is overdue."""

    priority: TaskPriority
    remind_before: int
    overdue_after: int = 0
    escalate_after: int | None = None
    reassign_after: int | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None


def _hours(h: float) -> int:
    return int(h * 60)


# Sensible defaults, seeded when no policy is stored for a priority.
DEFAULTS: dict[TaskPriority, TimerPolicy] = {
    TaskPriority.urgent: TimerPolicy(TaskPriority.urgent, _hours(1), 0, _hours(2), _hours(8)),
    TaskPriority.high: TimerPolicy(TaskPriority.high, _hours(2), 30, _hours(4), _hours(16)),
    TaskPriority.medium: TimerPolicy(TaskPriority.medium, _hours(4), 60, _hours(8), None),
    TaskPriority.low: TimerPolicy(TaskPriority.low, _hours(8), 60, _hours(16), None),
}


def default_policy(priority: TaskPriority) -> TimerPolicy:
    base = DEFAULTS[priority]
    return TimerPolicy(priority, base.remind_before, base.overdue_after, base.escalate_after,
                       base.reassign_after)  # fmt: skip


def parse_hours(
    field: str, value: object, errors: list[FieldError], *, optional: bool
) -> int | None:
    """Business hours as typed ("1.5", 2, "" for none when ``optional``) → whole minutes;
    a bad or out-of-range value is named."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if not optional:
            errors.append(FieldError(field, Phrase("timer.required", "is required")))
        return None
    text = str(value).strip()
    try:  # plain digits with an optional fraction: no exponents, signs or underscores
        hours = Decimal(text) if _HOURS.fullmatch(text) else Decimal("NaN")
    except (InvalidOperation, ValueError):
        hours = Decimal("NaN")
    if isinstance(value, bool) or not hours.is_finite() or not 0 <= hours * 60 <= MAX_MINUTES:
        errors.append(
            FieldError(
                field,
                Phrase(
                    "timer.hours", "must be 0 to {limit} business hours", limit=MAX_MINUTES // 60
                ),
            )
        )
        return None
    return int(hours * 60)


def check_policy(policy: TimerPolicy) -> None:
    """The steps must come in order: overdue, then escalation, then reassignment."""
    errors: list[FieldError] = []
    for field, value in (
        ("remind_before", policy.remind_before),
        ("overdue_after", policy.overdue_after),
        ("escalate_after", policy.escalate_after),
        ("reassign_after", policy.reassign_after),
    ):
        if value is not None and (isinstance(value, bool) or not 0 <= value <= MAX_MINUTES):
            errors.append(FieldError(field, Phrase("timer.minutes", "must be 0 to {limit} minutes",
                                                   limit=MAX_MINUTES)))  # fmt: skip
    if errors:
        raise ValidationFailed(errors)
    if policy.escalate_after is not None and policy.escalate_after < policy.overdue_after:
        errors.append(FieldError("escalate_after", Phrase(
            "timer.escalate_order", "must not come before the task is overdue")))  # fmt: skip
    after = policy.escalate_after if policy.escalate_after is not None else policy.overdue_after
    if policy.reassign_after is not None and policy.reassign_after < after:
        errors.append(FieldError("reassign_after", Phrase(
            "timer.reassign_order", "must not come before the escalation")))  # fmt: skip
    if errors:
        raise ValidationFailed(errors)


@dataclass(frozen=True)
class Marks:
    """What the job already did for a task (None: not yet)."""

    started: datetime | None = None
    due_soon: datetime | None = None
    due: datetime | None = None
    overdue: datetime | None = None
    escalated: datetime | None = None
    reassigned: datetime | None = None

    @classmethod
    def of(cls, task: Task, reassigned: datetime | None = None) -> Marks:
        return cls(task.started_reminded_at, task.before_due_reminded_at, task.due_reminded_at,
                   task.overdue_at, task.escalated_at, reassigned)  # fmt: skip

    def done(self, stage: Stage) -> bool:
        field = "started" if stage is Stage.starting else stage.value
        return getattr(self, field) is not None


def stages_reached(
    task: Task, marks: Marks, policy: TimerPolicy, calendar: WorkCalendar, now: datetime
) -> list[Stage]:
    """The steps ``task`` has reached at ``now`` and not yet had, in order. Only an open
    task has timers. "Past due by X" counts business time after the due time, so a task due
    on Friday evening is not overdue before Monday morning's working hours."""
    if not task.is_open:
        return []
    reached: list[Stage] = []
    if task.start_at is not None and task.start_at <= now:
        reached.append(Stage.starting)
    due = task.due_at
    if due is not None:
        if due <= now or calendar.elapsed(now, due) <= policy.remind_before:
            reached.append(Stage.due_soon)
        if due <= now:
            reached.append(Stage.due)
            for stage, minutes in (
                (Stage.overdue, policy.overdue_after),
                (Stage.escalated, policy.escalate_after),
                (Stage.reassigned, policy.reassign_after),
            ):
                # Past due by ``minutes`` of business time (at least one: a task due on
                # Friday evening is not late before Monday's working hours). Counted
                # forward from the due time, so a task long overdue costs no more.
                if minutes is not None and _past(calendar, due, max(minutes, 1), now):
                    reached.append(stage)
    return [stage for stage in reached if not marks.done(stage)]


def _past(calendar: WorkCalendar, due: datetime, minutes: int, now: datetime) -> bool:
    try:
        return calendar.add(due, minutes) <= now
    except NoBusinessTime:  # a calendar with no working time: never late in business time
        return False


def message_stage(stages: list[Stage]) -> Stage | None:
    """Of the steps just reached, the one the assignee is told of: the latest."""
    mine = [s for s in stages if s in ASSIGNEE_STAGES]
    return mine[-1] if mine else None
