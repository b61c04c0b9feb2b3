"""Tasks (任务): work items the engine routes like customers, tracked until done and rated.

A task has a title, a type and a category (codes of the admin-defined ``task_type`` and
``task_category`` categories), a priority (紧急 / 高 / 中 / 低) and an urgency (1-5), the
customers it is about, an assignee (a rep) and their team, start / due / completed
times, an estimated effort (hours: what it weighs against the rep's task capacity), a
progress percentage and a status (待办 → 进行中 → 已完成 / 已取消, or 受阻 on the way).
Its checklist, comments and history are records of their own. ``new_task`` checks every
field a person typed and names each bad one.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from fenpei.domain import limits
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.phrases import Phrase, required, too_long, whole_number

TASK_TYPES = "task_type"  # the category listing the kinds of task (call back, visit, …)
TASK_CATEGORIES = "task_category"  # the category grouping tasks (sales, service, …)
MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_COMMENT = 2000
MAX_CHECKLIST_TEXT = 300
MAX_CHECKLIST_ITEMS = 100
MAX_LINKED_CUSTOMERS = 20
MAX_EFFORT_HOURS = Decimal(1000)
MAX_NOTE = 1000


class TaskStatus(StrEnum):
    todo = "todo"  # 待办
    in_progress = "in_progress"  # 进行中
    blocked = "blocked"  # 受阻
    done = "done"  # 已完成
    cancelled = "cancelled"  # 已取消

    @property
    def is_open(self) -> bool:
        return self not in (TaskStatus.done, TaskStatus.cancelled)


OPEN_STATUSES = tuple(s for s in TaskStatus if s.is_open)

# Where a status may go. A finished or cancelled task may be reopened (to do again).
TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.todo: frozenset(
        {TaskStatus.in_progress, TaskStatus.blocked, TaskStatus.done, TaskStatus.cancelled}
    ),
    TaskStatus.in_progress: frozenset(
        {TaskStatus.todo, TaskStatus.blocked, TaskStatus.done, TaskStatus.cancelled}
    ),
    TaskStatus.blocked: frozenset(
        {TaskStatus.todo, TaskStatus.in_progress, TaskStatus.done, TaskStatus.cancelled}
    ),
    TaskStatus.done: frozenset({TaskStatus.todo}),
    TaskStatus.cancelled: frozenset({TaskStatus.todo}),
}


class TaskPriority(StrEnum):
    urgent = "urgent"  # 紧急
    high = "high"  # 高
    medium = "medium"  # 中
    low = "low"  # 低

    @property
    def rank(self) -> int:
        """0 for the most pressing: lists sort by it."""
        return list(TaskPriority).index(self)


class TaskOrigin(StrEnum):
    """Where a task came from: shown on its page, and a field rules may test."""

    manual = "manual"  # created by a person on a page or with the CLI
    follow_up = "follow_up"  # a follow-up's "next step"
    sla = "sla"  # an SLA reminder or breach
    reclaim = "reclaim"  # a reclaim warning
    api = "api"
    webhook = "webhook"
    recurrence = "recurrence"  # the next occurrence of a recurring task


class RecurrenceKind(StrEnum):
    days = "days"  # every N days
    weekly = "weekly"  # on chosen weekdays, every N weeks
    monthly = "monthly"  # on a day of the month (the last day when the month is shorter)


@dataclass(frozen=True)
class Recurrence:
    """How a recurring task repeats: the next one is created when this one is finished or
    cancelled, due on the next date the pattern gives after this one's due date."""

    kind: RecurrenceKind
    every: int = 1  # days, weeks or months between occurrences
    weekdays: tuple[int, ...] = ()  # weekly: 0 = Monday
    day: int | None = None  # monthly: 1-31
    business_days_only: bool = False  # move a date off a holiday or weekend to the next workday

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "every": self.every,
            "weekdays": list(self.weekdays),
            "day": self.day,
            "business_days_only": self.business_days_only,
        }


@dataclass(eq=False)
class Task:
    """One task. ``assignee_id`` is a rep; ``customer_id`` the first linked customer (the
    one whose owner "the customer's owner" targets); all linked customers, this one first,
    are kept apart (``task_customers``)."""

    title: str
    created_by: str  # the actor's name
    created_at: datetime
    description: str | None = None
    kind: str | None = None  # a task_type code
    category: str | None = None  # a task_category code
    priority: TaskPriority = TaskPriority.medium
    urgency: int | None = None  # 1 (can wait) - 5 (now)
    status: TaskStatus = TaskStatus.todo
    origin: TaskOrigin = TaskOrigin.manual
    origin_ref: str | None = None  # e.g. "follow_up:12", "sla_clock:7"
    customer_id: int | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    created_by_user_id: int | None = None
    start_at: datetime | None = None
    due_at: datetime | None = None
    completed_at: datetime | None = None
    effort_hours: Decimal | None = None
    progress: int = 0
    blocked_reason: str | None = None
    recurrence: dict[str, Any] | None = None  # Recurrence.to_json()
    series_id: int | None = None  # the first task of a recurring series
    # Timers (the task-reminders job writes each once): reminded at start, before due,
    # at due, overdue since (computed by the scheduler, not on view), escalated.
    started_reminded_at: datetime | None = None
    before_due_reminded_at: datetime | None = None
    due_reminded_at: datetime | None = None
    overdue_at: datetime | None = None
    escalated_at: datetime | None = None
    # Evaluation: the assignee's on completion, then the creator's or manager's rating.
    difficulty: int | None = None  # 1-5
    completion_note: str | None = None
    quality: int | None = None  # 1-5
    satisfaction: int | None = None  # 1-5
    rating_note: str | None = None
    rated_by: str | None = None
    rated_at: datetime | None = None
    decision: dict[str, Any] | None = None  # the routing decision that chose the assignee
    updated_at: datetime | None = None
    id: int | None = None

    @property
    def is_open(self) -> bool:
        return TaskStatus(self.status).is_open

    @property
    def weight(self) -> Decimal:
        """What the task weighs against its assignee's task capacity: its effort in hours
        when estimated, else 1."""
        return self.effort_hours if self.effort_hours is not None else Decimal(1)

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < now


@dataclass(eq=False)
class ChecklistItem:
    task_id: int
    text: str
    position: int = 0
    done: bool = False
    done_by: str | None = None
    done_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class TaskComment:
    task_id: int
    author: str
    body: str
    at: datetime
    mentions: list[int] = field(default_factory=list)  # user ids @mentioned
    id: int | None = None


class TaskEventKind(StrEnum):
    """The lines of a task's history."""

    created = "created"
    assigned = "assigned"  # routed or given by hand: ``detail`` holds the decision's gist
    reassigned = "reassigned"
    status = "status"  # {"from", "to", "reason"}
    progress = "progress"  # {"from", "to"}
    edited = "edited"  # {"fields": [...]}
    reminded = "reminded"  # {"kind": TaskReminderKind}
    overdue = "overdue"
    escalated = "escalated"  # {"to": [user ids], "reassigned_to": rep id or None}
    chased = "chased"  # 催办 by a manager: {"note"}
    completed = "completed"  # {"difficulty", "note"}
    rated = "rated"  # {"quality", "satisfaction", "note"}
    commented = "commented"


@dataclass(eq=False)
class TaskEvent:
    """One line of a task's history: who did what when, with its details."""

    task_id: int
    kind: TaskEventKind
    actor: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True)
class TaskFilter:
    """Which tasks a list shows; empty parts do not filter. ``assignee_ids`` None: anyone's
    (a scope narrows it to a manager's reps; an empty tuple then shows nothing)."""

    assignee_ids: Collection[int] | None = None
    statuses: Collection[TaskStatus] = ()
    priorities: Collection[TaskPriority] = ()
    kinds: Collection[str] = ()
    customer_id: int | None = None
    team_ids: Collection[int] | None = None
    due_from: datetime | None = None  # due at or after
    due_before: datetime | None = None  # due strictly before
    overdue_at: datetime | None = None  # open and due before this instant
    text: str = ""
    # A data scope: assigned to one of these reps, or held by one of these teams, or
    # created by this user (None: no scope, everything).
    visible_rep_ids: Collection[int] | None = None
    visible_team_ids: Collection[int] = ()
    visible_creator_id: int | None = None


_MENTION = re.compile(r"@([\w.\-]{1,64})")


def mentioned_names(body: str) -> list[str]:
    """The names @mentioned in a comment, in order, once each (``@li.lei`` → ``li.lei``)."""
    return list(dict.fromkeys(_MENTION.findall(body)))


def clean_text(field: str, value: str | None, limit: int, errors: list[FieldError]) -> str | None:
    """``value`` stripped, or None when empty; a NUL or an over-long text is named."""
    text = (value or "").strip()
    if not text:
        return None
    if problem := limits.text_problem(text):
        errors.append(FieldError(field, problem))
    elif len(text) > limit:
        errors.append(FieldError(field, too_long(limit)))
    return text


def _moment(field: str, value: datetime | None, errors: list[FieldError]) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        errors.append(FieldError(field, Phrase("task.zone", "needs a time zone")))
        return None
    if problem := limits.date_problem(value):
        errors.append(FieldError(field, problem))
        return None
    return value


def _code(
    field: str, value: str | None, allowed: Collection[str], errors: list[FieldError]
) -> str | None:
    code = (value or "").strip()
    if not code:
        return None
    if code not in allowed:
        errors.append(
            FieldError(
                field, Phrase("task.code", "{got!r} is not one of the listed values", got=code[:40])
            )
        )
    return code


def score(
    field: str, value: int | None, errors: list[FieldError], *, low: int = 1, high: int = 5
) -> int | None:
    """A 1-5 rating (or ``low``-``high``), or None; out of range is named."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.append(FieldError(field, whole_number(low, high)))
        return None
    return value


def effort(value: object, errors: list[FieldError]) -> Decimal | None:
    """Estimated hours: more than 0, at most 1000, two decimals kept."""
    if value is None or value == "":
        return None
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        hours = Decimal("NaN")
    if not hours.is_finite() or not Decimal(0) < hours <= MAX_EFFORT_HOURS:
        errors.append(
            FieldError(
                "effort_hours",
                Phrase(
                    "task.effort",
                    "must be more than 0 and at most {limit} hours",
                    limit=int(MAX_EFFORT_HOURS),
                ),
            )
        )
        return None
    return hours.quantize(Decimal("0.01"))


def recurrence(value: dict[str, Any] | None, errors: list[FieldError]) -> Recurrence | None:
    """A recurrence from its JSON form, every part checked."""
    if not value:
        return None
    before = len(errors)
    try:
        kind = RecurrenceKind(str(value.get("kind", "")))
    except ValueError:
        errors.append(
            FieldError(
                "recurrence.kind", Phrase("task.recurrence_kind", "must be days, weekly or monthly")
            )
        )
        return None
    every = value.get("every", 1)
    if isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= 365:
        errors.append(FieldError("recurrence.every", whole_number(1, 365)))
    raw_days = value.get("weekdays") or []
    weekdays: tuple[int, ...] = ()
    if not isinstance(raw_days, list) or any(
        isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in raw_days
    ):
        errors.append(FieldError("recurrence.weekdays", whole_number(0, 6)))
    else:
        weekdays = tuple(sorted(set(raw_days)))
    if kind is RecurrenceKind.weekly and not weekdays and len(errors) == before:
        errors.append(FieldError("recurrence.weekdays", required()))
    day = value.get("day")
    if kind is RecurrenceKind.monthly and (
        isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 31
    ):
        errors.append(FieldError("recurrence.day", whole_number(1, 31)))
    if len(errors) > before:
        return None
    return Recurrence(
        kind=kind,
        every=every,
        weekdays=weekdays if kind is RecurrenceKind.weekly else (),
        day=day if kind is RecurrenceKind.monthly else None,
        business_days_only=bool(value.get("business_days_only", False)),
    )


def new_task(
    *,
    title: str,
    created_by: str,
    now: datetime,
    kinds: Collection[str],
    categories: Collection[str],
    description: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    priority: str | None = None,
    urgency: int | None = None,
    customer_ids: Sequence[int] = (),
    start_at: datetime | None = None,
    due_at: datetime | None = None,
    effort_hours: object = None,
    recurrence_json: dict[str, Any] | None = None,
    origin: TaskOrigin = TaskOrigin.manual,
    origin_ref: str | None = None,
) -> Task:
    """A checked, unassigned task: title given, type and category among the usable codes,
    start before due, effort and urgency in range, a recurrence needs a due date. Every
    bad field is named at once (``ValidationFailed``)."""
    errors: list[FieldError] = []
    name = clean_text("title", title, MAX_TITLE, errors)
    if name is None and not any(e.field == "title" for e in errors):
        errors.append(FieldError("title", required()))
    text = clean_text("description", description, MAX_DESCRIPTION, errors)
    kind_code = _code("kind", kind, kinds, errors)
    category_code = _code("category", category, categories, errors)
    level = TaskPriority.medium
    if priority:
        try:
            level = TaskPriority(priority.strip())
        except ValueError:
            errors.append(
                FieldError(
                    "priority", Phrase("task.priority", "must be urgent, high, medium or low")
                )
            )
    urgent = score("urgency", urgency, errors)
    if len(customer_ids) > MAX_LINKED_CUSTOMERS:
        errors.append(
            FieldError(
                "customer_ids",
                Phrase("task.customers", "at most {limit} customers", limit=MAX_LINKED_CUSTOMERS),
            )
        )
    starts = _moment("start_at", start_at, errors)
    due = _moment("due_at", due_at, errors)
    if starts is not None and due is not None and due < starts:
        errors.append(
            FieldError("due_at", Phrase("task.due_before_start", "must not be before the start"))
        )
    hours = effort(effort_hours, errors)
    repeat = recurrence(recurrence_json, errors)
    if repeat is not None and due is None:
        errors.append(
            FieldError("due_at", Phrase("task.recurring_due", "a recurring task needs a due date"))
        )
    if errors:
        raise ValidationFailed(errors)
    assert name is not None
    ids = list(dict.fromkeys(customer_ids))
    return Task(
        title=name,
        description=text,
        created_by=created_by,
        created_at=now,
        updated_at=now,
        kind=kind_code,
        category=category_code,
        priority=level,
        urgency=urgent,
        customer_id=ids[0] if ids else None,
        start_at=starts,
        due_at=due,
        effort_hours=hours,
        recurrence=repeat.to_json() if repeat else None,
        origin=origin,
        origin_ref=origin_ref,
    )


def check_transition(task: Task, to: TaskStatus) -> None:
    """Refuse a status change the workflow does not allow (done → blocked, say)."""
    current = TaskStatus(task.status)
    if to is current or to not in TRANSITIONS[current]:
        raise ValidationFailed(
            [
                FieldError(
                    "status",
                    Phrase(
                        "task.transition",
                        "cannot go from {from_status} to {to_status}",
                        from_status=current.value,
                        to_status=to.value,
                    ),
                )
            ]
        )
