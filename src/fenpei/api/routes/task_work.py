"""Working a task through the API: status, progress, assignee, routing again, checklist,
comments, completion, rating and 催办 (tagged ``tasks``, as ``routes/tasks.py``)."""

from __future__ import annotations

from fastapi import APIRouter, status

from fenpei.api.routes.tasks import WRITE_RESPONSES, ItemId, TaskId, detail_read
from fenpei.api.task_schemas import (
    AssignBody,
    ChaseBody,
    ChecklistAdd,
    ChecklistItemRead,
    ChecklistUpdate,
    CommentCreate,
    CommentRead,
    CompleteBody,
    ProgressChange,
    RateBody,
    StatusChange,
    TaskDetailRead,
)
from fenpei.http.deps import CurrentActor, FenpeiDep, UowDep
from fenpei.services.tasks import editing, workflow

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.post("/{task_id}/status", responses=WRITE_RESPONSES)
def change_status(
    task_id: TaskId, body: StatusChange, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> TaskDetailRead:
    """Move the task along todo → in_progress → done / cancelled (or blocked, with a
    reason); a move the workflow does not allow is a 422 naming `status`."""
    workflow.change_status(
        uow=uow,
        actor=actor,
        task_id=task_id,
        status=body.status,
        reason=body.reason,
        now=fenpei.now(),
    )
    uow.commit()
    return detail_read(uow, actor, task_id)


@router.post("/{task_id}/progress", responses=WRITE_RESPONSES)
def set_progress(
    task_id: TaskId, body: ProgressChange, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> TaskDetailRead:
    """Set the percentage done; a task still to do starts by it."""
    workflow.set_progress(
        uow=uow, actor=actor, task_id=task_id, progress=body.progress, now=fenpei.now()
    )
    uow.commit()
    return detail_read(uow, actor, task_id)


@router.post("/{task_id}/assign", responses=WRITE_RESPONSES)
def assign_task(
    task_id: TaskId, body: AssignBody, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> TaskDetailRead:
    """Give the task to a rep by hand (a rep may only take it themselves)."""
    editing.reassign_task(
        uow=uow,
        actor=actor,
        task_id=task_id,
        rep_id=body.rep_id,
        reason=body.reason,
        now=fenpei.now(),
    )
    uow.commit()
    return detail_read(uow, actor, task_id)


@router.post("/{task_id}/route", responses=WRITE_RESPONSES)
def route_task(
    task_id: TaskId, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> TaskDetailRead:
    """Route the task again: the router decides who should have it now."""
    editing.route_again(uow=uow, actor=actor, task_id=task_id, now=fenpei.now())
    uow.commit()
    return detail_read(uow, actor, task_id)


@router.post("/{task_id}/checklist", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES)
def add_checklist_item(
    task_id: TaskId, body: ChecklistAdd, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> ChecklistItemRead:
    """Add an item at the end of the task's checklist."""
    item = workflow.add_item(
        uow=uow, actor=actor, task_id=task_id, text=body.text, now=fenpei.now()
    )
    uow.commit()
    return ChecklistItemRead.model_validate(item)


@router.patch("/{task_id}/checklist/{item_id}", responses=WRITE_RESPONSES)
def check_checklist_item(
    task_id: TaskId,
    item_id: ItemId,
    body: ChecklistUpdate,
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> ChecklistItemRead:
    """Tick or untick a checklist item."""
    item = workflow.check_item(
        uow=uow, actor=actor, task_id=task_id, item_id=item_id, done=body.done, now=fenpei.now()
    )
    uow.commit()
    return ChecklistItemRead.model_validate(item)


@router.delete(
    "/{task_id}/checklist/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=WRITE_RESPONSES,
)
def remove_checklist_item(
    task_id: TaskId, item_id: ItemId, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> None:
    """Remove a checklist item."""
    workflow.remove_item(uow=uow, actor=actor, task_id=task_id, item_id=item_id, now=fenpei.now())
    uow.commit()


@router.post("/{task_id}/comments", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES)
def add_comment(
    task_id: TaskId, body: CommentCreate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> CommentRead:
    """Comment on the task; each active @username who may see it gets a message."""
    note = workflow.comment(uow=uow, actor=actor, task_id=task_id, body=body.body, now=fenpei.now())
    uow.commit()
    return CommentRead.model_validate(note)


@router.post("/{task_id}/complete", responses=WRITE_RESPONSES)
def complete_task(
    task_id: TaskId, body: CompleteBody, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> TaskDetailRead:
    """Finish the task with how hard it was and notes; its creator hears of it."""
    workflow.complete(
        uow=uow,
        actor=actor,
        task_id=task_id,
        difficulty=body.difficulty,
        note=body.note,
        now=fenpei.now(),
    )
    uow.commit()
    return detail_read(uow, actor, task_id)


@router.post("/{task_id}/rate", responses=WRITE_RESPONSES)
def rate_task(
    task_id: TaskId, body: RateBody, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> TaskDetailRead:
    """Rate a finished task's quality and satisfaction (its creator, a manager over it,
    or an admin); the assignee hears of it."""
    workflow.rate(
        uow=uow,
        actor=actor,
        task_id=task_id,
        quality=body.quality,
        satisfaction=body.satisfaction,
        note=body.note,
        now=fenpei.now(),
    )
    uow.commit()
    return detail_read(uow, actor, task_id)


@router.post("/{task_id}/chase", responses=WRITE_RESPONSES)
def chase_task(
    task_id: TaskId, body: ChaseBody, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> TaskDetailRead:
    """催办: press the assignee on an open task (its creator, a manager, an admin);
    recorded in its history, and the assignee gets a message at once."""
    workflow.chase(uow=uow, actor=actor, task_id=task_id, note=body.note, now=fenpei.now())
    uow.commit()
    return detail_read(uow, actor, task_id)
