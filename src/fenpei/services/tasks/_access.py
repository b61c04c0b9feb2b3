"""Who may see and work a task.

Admins and auditors see every task (auditors only read). A manager sees the tasks of the
reps and teams in their scope and those they created. A rep sees the tasks assigned to
them and those they created. Anyone who sees a task but an auditor may work it (status,
progress, checklist, comments); rating and 催办 are for its creator, a manager over it or
an admin. A task out of scope is "not found", so nothing leaks.
"""

from __future__ import annotations

from dataclasses import dataclass

from fenpei.domain.errors import NotFound, PermissionDenied
from fenpei.domain.tasks import Task
from fenpei.domain.users import Actor, Role
from fenpei.services import scope
from fenpei.services.ports import UnitOfWork


@dataclass(frozen=True)
class TaskScope:
    """The tasks an actor may see: ``rep_ids`` / ``team_ids`` None means all."""

    actor: Actor
    rep_ids: frozenset[int] | None
    team_ids: frozenset[int] | None

    @property
    def unrestricted(self) -> bool:
        return self.rep_ids is None

    def covers(self, task: Task) -> bool:
        if self.rep_ids is None or self.team_ids is None:
            return True
        if self.actor.user_id is not None and task.created_by_user_id == self.actor.user_id:
            return True
        return task.assignee_id in self.rep_ids or (
            task.team_id is not None and task.team_id in self.team_ids
        )


def task_scope(uow: UnitOfWork, actor: Actor) -> TaskScope:
    data = scope.data_scope(uow=uow, actor=actor)
    return TaskScope(actor=actor, rep_ids=data.rep_ids, team_ids=data.team_ids)


def readable_task(uow: UnitOfWork, actor: Actor, task_id: int, *, lock: bool = False) -> Task:
    """The task if ``actor`` may see it (locked for writing when ``lock``); else NotFound."""
    task = uow.tasks.lock(task_id) if lock else uow.tasks.get(task_id)
    if task is None or not task_scope(uow, actor).covers(task):
        raise NotFound("task", task_id)
    return task


def workable_task(uow: UnitOfWork, actor: Actor, task_id: int, what: str) -> Task:
    """The task, locked, if ``actor`` may work it."""
    task = readable_task(uow, actor, task_id, lock=True)
    if actor.role is Role.auditor:
        raise PermissionDenied(f"an auditor may not {what}")
    return task


def overseeable_task(uow: UnitOfWork, actor: Actor, task_id: int, what: str) -> Task:
    """The task, locked, if ``actor`` created it, manages it or is an admin."""
    task = workable_task(uow, actor, task_id, what)
    creator = actor.user_id is not None and task.created_by_user_id == actor.user_id
    if actor.role is Role.rep and not creator:
        raise PermissionDenied(f"only the task's creator, a manager or an admin may {what}")
    return task


def require_task_writer(actor: Actor, what: str) -> None:
    if actor.role is Role.auditor:
        raise PermissionDenied(f"an auditor may not {what}")
