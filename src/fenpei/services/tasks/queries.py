"""Reading tasks: a page of those an actor may see, and one task with all that hangs off it.

The actor's scope (``_access``) becomes part of the filter, so the database pages and
counts only what the actor may see; a task out of scope is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fenpei.domain.tasks import ChecklistItem, Task, TaskComment, TaskEvent, TaskFilter
from fenpei.domain.users import Actor
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks._access import readable_task, task_scope

ORDERS = ("due", "priority", "new")
MAX_LISTED = 500


@dataclass(frozen=True)
class TaskPage:
    tasks: list[Task]
    total: int
    customer_ids: dict[int, list[int]]  # each task's linked customers, the main one first


@dataclass(frozen=True)
class TaskDetail:
    task: Task
    customer_ids: list[int]
    checklist: list[ChecklistItem]
    comments: list[TaskComment]
    history: list[TaskEvent]  # newest first


def scoped(uow: UnitOfWork, actor: Actor, wanted: TaskFilter) -> TaskFilter:
    """``wanted`` narrowed to the tasks ``actor`` may see."""
    seen = task_scope(uow, actor)
    if seen.rep_ids is None or seen.team_ids is None:
        return wanted
    return replace(
        wanted,
        visible_rep_ids=seen.rep_ids,
        visible_team_ids=seen.team_ids,
        visible_creator_id=actor.user_id,
    )


def list_tasks(
    *,
    uow: UnitOfWork,
    actor: Actor,
    wanted: TaskFilter,
    order: str = "due",
    limit: int = 50,
    offset: int = 0,
) -> TaskPage:
    """One page of the tasks ``actor`` may see that match ``wanted``, and how many match."""
    f = scoped(uow, actor, wanted)
    found = uow.tasks.find(f, order=order, limit=min(limit, MAX_LISTED), offset=offset)
    ids = [task.id for task in found if task.id is not None]
    return TaskPage(tasks=found, total=uow.tasks.count(f), customer_ids=uow.tasks.customer_ids(ids))


def task_detail(*, uow: UnitOfWork, actor: Actor, task_id: int) -> TaskDetail:
    """The task with its customers, checklist, comments and history (NotFound outside
    the actor's scope)."""
    task = readable_task(uow, actor, task_id)
    assert task.id is not None
    return TaskDetail(
        task=task,
        customer_ids=uow.tasks.customer_ids([task.id]).get(task.id, []),
        checklist=uow.tasks.items(task.id),
        comments=uow.tasks.comments(task.id),
        history=uow.tasks.history(task.id),
    )
