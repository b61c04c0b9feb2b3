"""Who gets a new task.

Until task rules run through the engine, a task goes to its first linked customer's
owner, if it has one; otherwise it waits unassigned for someone to take or give it.
"""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.tasks import Task
from fenpei.domain.users import Actor
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks.records import give_task


def route_task(*, uow: UnitOfWork, task: Task, actor: Actor, now: datetime) -> Task:
    """Give ``task`` to whoever should have it, with the decision recorded; or leave it."""
    customer = uow.customers.get(task.customer_id) if task.customer_id is not None else None
    if customer is None or customer.owner_id is None:
        return task
    reason = "the owner of the task's customer"
    decision = {"outcome": "assigned", "reason_code": "customer_owner", "reason": reason,
                "rep_id": customer.owner_id}  # fmt: skip
    return give_task(uow=uow, task=task, rep_id=customer.owner_id, actor=actor, now=now,
                     method="rule", reason=reason, decision=decision)  # fmt: skip
