"""Request and response shapes of follow-ups (跟进记录), stage changes and the timeline."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from fenpei.domain.customers import Stage
from fenpei.domain.follow_ups import MAX_CONTENT, MAX_OUTCOME, MAX_REASON
from fenpei.domain.tasks import MAX_TITLE
from fenpei.http.fields import BoundedDateTime
from fenpei.http.schemas import AssignmentRead
from fenpei.services.follow_ups.timeline import ItemKind

_STAGE = Field(default=None, max_length=20, description="new, contacted, qualified, won or lost.")
_REASON = Field(
    default=None, max_length=MAX_REASON, description="Why; required when the stage is lost."
)


class FollowUpCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "phone",
                    "content": "谈了报价，客户要内部讨论",
                    "outcome": "待回复",
                    "next_at": "2026-12-08T10:00:00+08:00",
                    "next_step": "发送修改后的报价",
                }
            ]
        },
    )

    kind: str = Field(min_length=1, max_length=100, description="A `follow_up_type` code.")
    at: BoundedDateTime | None = Field(
        default=None, description="When it happened (default now; no zone: the server's)."
    )
    content: str = Field(min_length=1, max_length=MAX_CONTENT)
    outcome: str | None = Field(default=None, max_length=MAX_OUTCOME)
    next_at: BoundedDateTime | None = Field(
        default=None, description="When to follow up next: the owner is reminded then."
    )
    stage: str | None = _STAGE
    reason: str | None = _REASON
    next_step: str | None = Field(
        default=None,
        max_length=MAX_TITLE,
        description="下一步: a task about the customer, due at `next_at`, routed like any task.",
    )


class FollowUpUpdate(BaseModel):
    """A correction (更正): only the fields given change; when it happened never does."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"content": "谈了报价，客户下周回复", "next_at": "2026-12-09T10:00:00+08:00"}
            ]
        },
    )

    kind: str | None = Field(default=None, min_length=1, max_length=100)
    content: str | None = Field(default=None, min_length=1, max_length=MAX_CONTENT)
    outcome: str | None = Field(default=None, max_length=MAX_OUTCOME)
    next_at: BoundedDateTime | None = Field(
        default=None, description="The next follow-up; null clears it; reminded anew."
    )


class StageUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"stage": "lost", "reason": "选择了竞品"}]},
    )

    stage: str = Field(min_length=1, max_length=20, description="The stage to move to.")
    reason: str | None = _REASON


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    rep_id: int | None
    author: str
    kind: str
    at: datetime
    content: str
    outcome: str | None
    next_at: datetime | None
    reminded_at: datetime | None
    created_at: datetime | None
    edited_at: datetime | None = Field(default=None, description="Last corrected, if ever.")
    next_task_id: int | None = Field(
        default=None, description="The task the next step created (`/api/v1/tasks/{id}`)."
    )


class StageChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    from_stage: Stage
    to_stage: Stage
    reason: str | None
    actor: str
    at: datetime


class TimelineItemRead(BaseModel):
    """One thing that happened; exactly one of the three records is set, as ``kind`` says."""

    kind: ItemKind
    at: datetime
    assignment: AssignmentRead | None = None
    follow_up: FollowUpRead | None = None
    stage_change: StageChangeRead | None = None


class TimelinePage(BaseModel):
    items: list[TimelineItemRead]
    total: int
    offset: int
    limit: int
