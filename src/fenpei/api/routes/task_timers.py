"""Task timers (任务提醒): each priority's reminder, overdue, escalation and reassignment
times in business hours. Admins set them; managers and auditors read them. Filed under the
``sla`` area (token scope ``sla:read`` / ``sla:write``): timers, like first-contact SLAs,
count in the business calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from fenpei.api.schemas import ErrorRead
from fenpei.domain.task_timers import MAX_MINUTES, TimerPolicy
from fenpei.domain.tasks import TaskOrigin, TaskPriority
from fenpei.http.deps import AdminActor, CurrentActor, FenpeiDep, UowDep
from fenpei.services import scope
from fenpei.services.tasks.origins import origin_settings, set_origin_settings
from fenpei.services.tasks.policies import set_timer_policy, timer_policies

router = APIRouter(tags=["sla"])
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead},
    404: {"model": ErrorRead},
    422: {"model": ErrorRead},
}
_HOURS = MAX_MINUTES // 60


def _hours(minutes: int | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 2)


class TaskTimerRead(BaseModel):
    priority: TaskPriority
    remind_before_hours: float = Field(description="Remind the assignee this long before due.")
    overdue_after_hours: float = Field(description="Past due this long: overdue.")
    escalate_after_hours: float | None = Field(description="Past due this long: tell the manager.")
    reassign_after_hours: float | None = Field(description="Past due this long: reassign.")
    updated_by: str | None
    updated_at: datetime | None

    @classmethod
    def of(cls, policy: TimerPolicy) -> TaskTimerRead:
        return cls(
            priority=policy.priority,
            remind_before_hours=_hours(policy.remind_before) or 0.0,
            overdue_after_hours=_hours(policy.overdue_after) or 0.0,
            escalate_after_hours=_hours(policy.escalate_after),
            reassign_after_hours=_hours(policy.reassign_after),
            updated_by=policy.updated_by,
            updated_at=policy.updated_at,
        )


class TaskTimerUpdate(BaseModel):
    """All in business hours (the assignee's working hours, less holidays)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "remind_before_hours": 1,
                    "overdue_after_hours": 0,
                    "escalate_after_hours": 2,
                    "reassign_after_hours": 8,
                }
            ]
        },
    )

    remind_before_hours: float = Field(ge=0, le=_HOURS, allow_inf_nan=False)
    overdue_after_hours: float = Field(default=0, ge=0, le=_HOURS, allow_inf_nan=False)
    escalate_after_hours: float | None = Field(
        default=None, ge=0, le=_HOURS, allow_inf_nan=False, description="null: never."
    )
    reassign_after_hours: float | None = Field(
        default=None, ge=0, le=_HOURS, allow_inf_nan=False, description="null: never."
    )


@router.get("/task-timers", responses=ERRORS)
def list_task_timers(uow: UowDep, actor: CurrentActor) -> list[TaskTimerRead]:
    """Every priority's timers (admins, managers and auditors)."""
    scope.require_overseer(actor, "see the task timers")
    return [TaskTimerRead.of(p) for p in timer_policies(uow).values()]


@router.put("/task-timers/{priority}", responses=ERRORS)
def set_task_timer(
    priority: TaskPriority, body: TaskTimerUpdate, uow: UowDep, actor: AdminActor,
    fenpei: FenpeiDep,
) -> TaskTimerRead:  # fmt: skip
    """Set a priority's timers; the task-reminders job uses them from its next run."""
    policy = set_timer_policy(
        uow=uow, actor=actor, priority=priority.value,
        remind_before_hours=body.remind_before_hours,
        overdue_after_hours=body.overdue_after_hours,
        escalate_after_hours=body.escalate_after_hours,
        reassign_after_hours=body.reassign_after_hours, now=fenpei.now(),
    )  # fmt: skip
    read = TaskTimerRead.of(policy)
    uow.commit()
    return read


class TaskOriginsRead(BaseModel):
    sla: bool = Field(description="An SLA breach makes a task for the owner.")
    reclaim: bool = Field(description="A reclaim warning makes a task for the owner.")


class TaskOriginsUpdate(BaseModel):
    """Omitted: unchanged."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"sla": True}]})

    sla: bool | None = None
    reclaim: bool | None = None


def _origins_read(settings: dict[TaskOrigin, bool]) -> TaskOriginsRead:
    return TaskOriginsRead(sla=settings[TaskOrigin.sla], reclaim=settings[TaskOrigin.reclaim])


@router.get("/task-origins", responses=ERRORS)
def get_task_origins(uow: UowDep, actor: CurrentActor) -> TaskOriginsRead:
    """Whether an SLA breach or a reclaim warning makes a task (off by default)."""
    scope.require_overseer(actor, "see where tasks come from")
    return _origins_read(origin_settings(uow))


@router.put("/task-origins", responses=ERRORS)
def set_task_origins(
    body: TaskOriginsUpdate, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> TaskOriginsRead:
    """Switch tasks from SLA breaches or reclaim warnings on or off."""
    wanted = {TaskOrigin(k): v for k, v in body.model_dump().items() if v is not None}
    read = _origins_read(
        set_origin_settings(uow=uow, actor=actor, settings=wanted, now=fenpei.now())
    )
    uow.commit()
    return read
