"""Who gets a new task.

Until task rules run through the engine, a task goes to its first linked customer's
owner, if it has one; otherwise it waits unassigned for someone to take or give it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from fenpei.domain.tasks import Task
from fenpei.domain.users import Actor
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks.records import give_task


def route_task(
    *,
    uow: UnitOfWork,
    task: Task,
    actor: Actor,
    now: datetime,
    exclude_rep_ids: Collection[int] = (),
) -> Task:
    """Give ``task`` to whoever should have it, never to one of ``exclude_rep_ids`` (an
    escalation reassigns away from the assignee), with the decision recorded; or leave it
    unassigned."""
    customer = uow.customers.get(task.customer_id) if task.customer_id is not None else None
    if customer is None or customer.owner_id is None or customer.owner_id in exclude_rep_ids:
        return task
    reason = "the owner of the task's customer"
    decision = {"outcome": "assigned", "reason_code": "customer_owner", "reason": reason,
                "rep_id": customer.owner_id}  # fmt: skip
    return give_task(uow=uow, task=task, rep_id=customer.owner_id, actor=actor, now=now,
                     method="rule", reason=reason, decision=decision)  # fmt: skip
