"""Tasks (任务): list, create (routed), read, edit, work, complete, rate, chase; statistics.

Tagged ``tasks``: a token needs ``tasks:read`` / ``tasks:write``. Who sees what is the
services' scope (a rep: their own and those they created; a manager: their teams'); a task
outside it is 404. Each write commits once, after the service accepted it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from fenpei.api.idempotent import IdempotencyKey, create_once
from fenpei.api.schemas import ErrorRead
from fenpei.api.task_schemas import (
    ChecklistItemRead,
    CommentRead,
    TaskCreate,
    TaskDetailRead,
    TaskEventRead,
    TaskFilters,
    TaskPage,
    TaskRead,
    TaskStatsReportRead,
    TaskUpdate,
)
from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.tasks import OPEN_STATUSES, Task, TaskFilter, TaskOrigin
from fenpei.domain.users import Actor
from fenpei.http.deps import CurrentActor, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID, BoundedDateTime, EmptyIsNone, Id
from fenpei.http.reads import Names
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks import editing, queries, stats
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput

router = APIRouter(prefix="/tasks", tags=["tasks"])
TaskId = Annotated[int, Path(ge=1, le=MAX_ID, description="The task's id.")]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="The checklist item's id.")]
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {
        "model": ErrorRead,
        "description": "An auditor, a rep where only the creator, a "
        "manager or an admin may, or a token without tasks:write.",
    },
    404: {"model": ErrorRead, "description": "No such task among those you may see."},
    422: {"model": ErrorRead, "description": "A bad field, named."},
}
READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorRead, "description": "No such task among those you may see."}
}


def aware(value: datetime | None, fenpei: Fenpei, field: str) -> datetime | None:
    """A time without a zone is the server's local time; out of range is the field's error."""
    if value is None:
        return None
    local = value if value.tzinfo is not None else value.replace(tzinfo=fenpei.settings.zone)
    try:
        return local.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationFailed.one(field, "is out of the supported date range") from None


def task_read(task: Task, customer_ids: list[int], names: Names) -> TaskRead:
    read = TaskRead.model_validate(task)
    read.customer_ids = customer_ids
    read.assignee_name = names.rep(task.assignee_id)
    return read


def detail_read(uow: UnitOfWork, actor: Actor, task_id: int) -> TaskDetailRead:
    """The task as the actor sees it now, with everything that hangs off it."""
    found = queries.task_detail(uow=uow, actor=actor, task_id=task_id)
    read = TaskDetailRead.model_validate(found.task)
    read.customer_ids = found.customer_ids
    read.assignee_name = Names(uow).rep(found.task.assignee_id)
    read.checklist = [ChecklistItemRead.model_validate(i) for i in found.checklist]
    read.comments = [CommentRead.model_validate(c) for c in found.comments]
    read.history = [TaskEventRead.model_validate(e) for e in found.history]
    return read


@router.get("/stats")
def task_statistics(
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    since: Annotated[BoundedDateTime | None, EmptyIsNone, Query()] = None,
    until: Annotated[BoundedDateTime | None, EmptyIsNone, Query()] = None,
    team_id: Annotated[Id | None, EmptyIsNone, Query()] = None,
    rep_id: Annotated[Id | None, EmptyIsNone, Query()] = None,
) -> TaskStatsReportRead:
    """Per-rep and per-team task figures for tasks done in `[since, until)` (default:
    the last 30 days) and open or overdue now, over the reps you may see."""
    now = fenpei.now()
    # By default the period ends just after now, so a task finished this instant counts.
    end = aware(until, fenpei, "until") or now + timedelta(seconds=1)
    start = aware(since, fenpei, "since") or end - timedelta(days=30)
    report = stats.task_stats(
        uow=uow,
        actor=actor,
        since=start,
        until=end,
        now=now,
        team_id=team_id,
        rep_ids=[rep_id] if rep_id else None,
    )
    return TaskStatsReportRead.model_validate(report)


@router.get("")
def list_tasks(
    filters: Annotated[TaskFilters, Query()], uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> TaskPage:
    """One page of the tasks you may see matching the filters, with the total."""
    due_from = aware(filters.due_from, fenpei, "due_from")
    due_before = aware(filters.due_before, fenpei, "due_before")
    if due_from and due_before and due_before <= due_from:
        raise ValidationFailed.one("due_before", "must be after due_from")
    assignees: set[int] | None = None
    if filters.assignee_id is not None:
        assignees = {filters.assignee_id}
    if filters.mine:
        mine = {actor.rep_id} if actor.rep_id is not None else set()
        assignees = mine if assignees is None else assignees & mine
    statuses = [filters.status] if filters.status else (OPEN_STATUSES if filters.open else ())
    wanted = TaskFilter(
        assignee_ids=assignees,
        team_ids={filters.team_id} if filters.team_id is not None else None,
        statuses=statuses,
        priorities=[filters.priority] if filters.priority else (),
        kinds=[filters.kind] if filters.kind else (),
        customer_id=filters.customer_id,
        due_from=due_from,
        due_before=due_before,
        overdue_at=fenpei.now() if filters.overdue else None,
        text=filters.q or "",
    )
    page = queries.list_tasks(
        uow=uow,
        actor=actor,
        wanted=wanted,
        order=filters.order,
        limit=filters.limit,
        offset=filters.offset,
    )
    names = Names(uow)
    items = [task_read(t, page.customer_ids.get(t.id or 0, []), names) for t in page.tasks]
    return TaskPage(items=items, total=page.total, offset=filters.offset, limit=filters.limit)


CREATE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **WRITE_RESPONSES,
    200: {
        "model": TaskDetailRead,
        "description": "A retry with a used Idempotency-Key: "
        "the first answer; nothing more is created.",
    },
    409: {
        "model": ErrorRead,
        "description": "The Idempotency-Key was used with another "
        "body, or its first request is still running.",
    },
}


@router.post("", status_code=status.HTTP_201_CREATED, responses=CREATE_RESPONSES)
def create_task(
    body: TaskCreate,
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TaskDetailRead:
    """Create a task and route it (to its customer's owner today), or give it to
    `assignee_id`: a rep may name only themselves, a manager a rep they manage."""
    return submit_task(
        body=body,
        uow=uow,
        actor=actor,
        fenpei=fenpei,
        response=response,
        idempotency_key=idempotency_key,
        origin=TaskOrigin.api,
    )


def submit_task(
    *,
    body: TaskCreate,
    uow: UnitOfWork,
    actor: Actor,
    fenpei: Fenpei,
    response: Response,
    idempotency_key: str | None,
    origin: TaskOrigin,
) -> TaskDetailRead:
    """Create (and route) a task from ``body``, once per idempotency key: the API's and
    the signed webhook's create."""
    data = TaskInput(
        title=body.title,
        description=body.description,
        kind=body.kind,
        category=body.category,
        priority=body.priority.value if body.priority else None,
        urgency=body.urgency,
        customer_ids=body.customer_ids or [],
        start_at=aware(body.start_at, fenpei, "start_at"),
        due_at=aware(body.due_at, fenpei, "due_at"),
        effort_hours=body.effort_hours,
        recurrence=body.recurrence.model_dump(mode="json") if body.recurrence else None,
        origin=origin,
        team_id=body.team_id,
        checklist=body.checklist,
    )

    def create() -> tuple[int, TaskDetailRead]:
        task = create_and_route(
            uow=uow, actor=actor, data=data, now=fenpei.now(), assignee_id=body.assignee_id
        )
        assert task.id is not None
        return task.id, detail_read(uow, actor, task.id)

    return create_once(
        uow=uow,
        fenpei=fenpei,
        response=response,
        key=idempotency_key,
        kind="task",
        payload=body.model_dump(mode="json"),
        create=create,
        model=TaskDetailRead,
    )


@router.get("/{task_id}", responses=READ_RESPONSES)
def get_task(task_id: TaskId, uow: UowDep, actor: CurrentActor) -> TaskDetailRead:
    """One task with its customers, checklist, comments, history and routing decision."""
    return detail_read(uow, actor, task_id)


@router.patch("/{task_id}", responses=WRITE_RESPONSES)
def update_task(
    task_id: TaskId, body: TaskUpdate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> TaskDetailRead:
    """Change the fields given (the creator, a manager over it, or an admin); the same
    checks as creating; the history names the fields changed."""
    changes = body.model_dump(exclude_unset=True, mode="python")
    for field in ("start_at", "due_at"):
        if field in changes:
            changes[field] = aware(changes[field], fenpei, field)
    if changes.get("priority") is not None:
        changes["priority"] = changes["priority"].value
    if "recurrence" in changes and body.recurrence is not None:
        changes["recurrence"] = body.recurrence.model_dump(mode="json")
    if "customer_ids" in changes:
        changes["customer_ids"] = changes["customer_ids"] or []
    editing.edit_task(uow=uow, actor=actor, task_id=task_id, changes=changes, now=fenpei.now())
    uow.commit()
    return detail_read(uow, actor, task_id)
