"""A new task, from any door (a page, the API, the CLI, a follow-up, a timer): stored,
then given to the rep named or routed."""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.tasks import Task
from fenpei.domain.users import Actor
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks.records import TaskInput, check_giver, create_task, give_task
from fenpei.services.tasks.routing import route_task


def create_and_route(
    *,
    uow: UnitOfWork,
    actor: Actor,
    data: TaskInput,
    now: datetime,
    assignee_id: int | None = None,
) -> Task:
    """Create the task; give it to ``assignee_id`` (by hand) or route it. The caller
    commits."""
    if assignee_id is not None:
        check_giver(uow, actor, assignee_id)
    task = create_task(uow=uow, actor=actor, data=data, now=now)
    if assignee_id is not None:
        return give_task(uow=uow, task=task, rep_id=assignee_id, actor=actor, now=now)
    return route_task(uow=uow, task=task, actor=actor, now=now)
