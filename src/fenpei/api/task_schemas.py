"""Request and response shapes of tasks (任务): create, update, read, page, the workflow's
bodies and the statistics. The services check every field again and name the bad ones;
the limits here keep hostile sizes out before they reach them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fenpei.domain.tasks import (
    MAX_CHECKLIST_ITEMS,
    MAX_CHECKLIST_TEXT,
    MAX_COMMENT,
    MAX_DESCRIPTION,
    MAX_LINKED_CUSTOMERS,
    MAX_NOTE,
    MAX_TITLE,
    RecurrenceKind,
    TaskEventKind,
    TaskOrigin,
    TaskPriority,
    TaskStatus,
)
from fenpei.http.fields import DATE_RANGE, BoundedDateTime, EmptyIsNone, FilterText, Id

_ZONE = "Without a zone: the server's configured zone."
Code = Annotated[str, Field(max_length=100, description="A category value's code.")]
Note = Annotated[str, Field(max_length=MAX_NOTE)]
Score = Annotated[int, Field(ge=1, le=5)]


class RecurrenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: RecurrenceKind
    every: int = Field(1, ge=1, le=365, description="Days, weeks or months between them.")
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=list, max_length=7, description="Weekly: 0 is Monday."
    )
    day: int | None = Field(None, ge=1, le=31, description="Monthly: the day of the month.")
    business_days_only: bool = False


class _TaskFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(None, max_length=MAX_DESCRIPTION)
    kind: Code | None = Field(None, description="A `task_type` code.")
    category: Code | None = Field(None, description="A `task_category` code.")
    priority: TaskPriority | None = None
    urgency: Score | None = Field(None, description="1 (can wait) to 5 (now).")
    customer_ids: list[Id] | None = Field(
        None,
        max_length=MAX_LINKED_CUSTOMERS,
        description=f"At most {MAX_LINKED_CUSTOMERS}; the first is the main customer.",
    )
    start_at: BoundedDateTime | None = Field(None, description=_ZONE)
    due_at: BoundedDateTime | None = Field(None, description=_ZONE)
    effort_hours: float | None = Field(None, ge=0.01, le=1000, description="Estimated hours.")
    recurrence: RecurrenceIn | None = None


class TaskCreate(_TaskFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "回电王总确认报价",
                    "kind": "call_back",
                    "priority": "high",
                    "due_at": "2026-12-08T10:00:00+08:00",
                }
            ]
        },
    )

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    assignee_id: Id | None = Field(None, description="Give it to this rep; else it is routed.")
    team_id: Id | None = None
    checklist: list[Annotated[str, Field(max_length=MAX_CHECKLIST_TEXT)]] = Field(
        default_factory=list,
        max_length=MAX_CHECKLIST_ITEMS,
        description=f"At most {MAX_CHECKLIST_ITEMS} items of {MAX_CHECKLIST_TEXT} characters.",
    )


class TaskUpdate(_TaskFields):
    """Only the fields given change; null clears one (not the title)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"priority": "urgent"}]}
    )

    title: str | None = Field(None, min_length=1, max_length=MAX_TITLE)


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str | None
    kind: str | None
    category: str | None
    priority: TaskPriority
    urgency: int | None
    status: TaskStatus
    origin: TaskOrigin
    origin_ref: str | None
    customer_id: int | None
    customer_ids: list[int] = []
    assignee_id: int | None
    assignee_name: str | None = None
    team_id: int | None
    created_by: str
    created_at: datetime
    start_at: datetime | None
    due_at: datetime | None
    completed_at: datetime | None
    effort_hours: float | None
    progress: int
    blocked_reason: str | None
    recurrence: dict[str, Any] | None
    overdue_at: datetime | None
    difficulty: int | None
    completion_note: str | None
    quality: int | None
    satisfaction: int | None
    rating_note: str | None
    rated_by: str | None
    rated_at: datetime | None
    updated_at: datetime | None


class ChecklistItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    position: int
    done: bool
    done_by: str | None
    done_at: datetime | None


class CommentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    author: str
    body: str
    at: datetime
    mentions: list[int]


class TaskEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: TaskEventKind
    actor: str
    at: datetime
    detail: dict[str, Any]


class TaskDetailRead(TaskRead):
    """The task with its checklist, comments, history (newest first) and the routing
    decision that chose its assignee (why it was assigned)."""

    decision: dict[str, Any] | None = None
    checklist: list[ChecklistItemRead] = []
    comments: list[CommentRead] = []
    history: list[TaskEventRead] = []


class TaskPage(BaseModel):
    items: list[TaskRead]
    total: int = Field(description="How many tasks match the filters, on all pages.")
    offset: int
    limit: int


class TaskFilters(BaseModel):
    """Query parameters of the task list; an empty parameter means "any"."""

    assignee_id: Annotated[Id | None, EmptyIsNone] = None
    mine: Annotated[bool, EmptyIsNone] = Field(False, description="Only tasks assigned to me.")
    team_id: Annotated[Id | None, EmptyIsNone] = None
    status: Annotated[TaskStatus | None, EmptyIsNone] = None
    open: Annotated[bool, EmptyIsNone] = Field(False, description="Only open tasks.")
    priority: Annotated[TaskPriority | None, EmptyIsNone] = None
    kind: Annotated[FilterText | None, EmptyIsNone] = None
    customer_id: Annotated[Id | None, EmptyIsNone] = None
    due_from: Annotated[BoundedDateTime | None, EmptyIsNone] = Field(
        None, description=f"Due at or after; {_ZONE} {DATE_RANGE}."
    )
    due_before: Annotated[BoundedDateTime | None, EmptyIsNone] = Field(
        None, description=f"Due before (exclusive); {_ZONE} {DATE_RANGE}."
    )
    overdue: Annotated[bool, EmptyIsNone] = Field(False, description="Open and past due now.")
    q: Annotated[FilterText | None, EmptyIsNone] = Field(None, description="Text in title.")
    order: Annotated[Literal["due", "priority", "new"], EmptyIsNone] = "due"
    offset: Annotated[int, EmptyIsNone] = Field(0, ge=0, le=100_000)
    limit: Annotated[int, EmptyIsNone] = Field(50, ge=1, le=500)


class StatusChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"status": "in_progress"}]}
    )

    status: str = Field(min_length=1, max_length=20, description="todo, in_progress, …")
    reason: Note | None = Field(None, description="Required when blocked.")


class ProgressChange(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"progress": 50}]})

    progress: int = Field(ge=0, le=100)


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rep_id: Id
    reason: Note | None = None


class ChecklistAdd(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": "报价单"}]})

    text: str = Field(min_length=1, max_length=MAX_CHECKLIST_TEXT)


class ChecklistUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"done": True}]})

    done: bool


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"body": "好的"}]})

    body: str = Field(min_length=1, max_length=MAX_COMMENT, description="@username mentions.")


class CompleteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    difficulty: Score | None = Field(None, description="How hard it was, 1-5.")
    note: Note | None = None


class RateBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"quality": 4, "satisfaction": 5}]}
    )

    quality: Score
    satisfaction: Score
    note: Note | None = None


class ChaseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note | None = None


class TaskStatsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rep_id: int | None
    team_id: int | None
    open: int
    overdue: int
    done: int
    on_time_rate: float | None
    average_quality: float | None
    average_satisfaction: float | None
    average_difficulty: float | None
    average_hours_to_complete: float | None


class TaskStatsReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    since: datetime
    until: datetime
    reps: list[TaskStatsRead]
    teams: list[TaskStatsRead]
