"""A customer's open tasks follow the customer when it changes hands (任务随客户转移).

The open tasks its previous owner holds on it (tasks whose customer — the first linked —
it is) go with the customer, on every path that changes an owner (``assignments.give`` and
``release``, and the set-based reclaim):

- to a new owner: each is given to them ("reassigned", method ``customer_owner``, with the
  message to the new assignee), over their task capacity if need be: the customer decides;
- to a pool: the tasks the system made for the owner (a follow-up's next step, an SLA
  reminder or breach, a reclaim warning) are cancelled, since nobody owns what they ask
  for; tasks a person made stay with their assignee, who may still want them.

Tasks held by someone other than the previous owner (a colleague asked to help) stay.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from fenpei.domain.tasks import Task, TaskOrigin, TaskStatus
from fenpei.domain.users import Actor
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks.records import give_task, set_status

# The method in a task's history and message, and its decision's reason (the task page
# says: the rep owns the task's customer).
FOLLOWS_OWNER = "customer_owner"
# What the system makes for an owner; cancelled when the customer goes to a pool.
SYSTEM_MADE = frozenset({TaskOrigin.follow_up, TaskOrigin.sla, TaskOrigin.reclaim})
_TO_POOL = "the customer went to a pool"


def follow_customer(
    uow: UnitOfWork,
    *,
    customer_id: int,
    from_rep_id: int | None,
    to_rep_id: int | None,
    actor: Actor,
    now: datetime,
) -> list[Task]:
    """The previous owner's open tasks on the customer follow it to ``to_rep_id`` (None: a
    pool); the tasks moved or cancelled."""
    if from_rep_id is None or from_rep_id == to_rep_id:
        return []
    return follow_customers(uow, {customer_id: from_rep_id}, to_rep_id, actor=actor, now=now)


def follow_customers(
    uow: UnitOfWork,
    previous: Mapping[int, int],
    to_rep_id: int | None,
    *,
    actor: Actor,
    now: datetime,
) -> list[Task]:
    """Customers (keys) that left their previous owners (values) for ``to_rep_id`` or a
    pool: their open tasks follow, as ``follow_customer`` says; one query for them all."""
    followed = []
    for task in uow.tasks.held_on(previous):
        if to_rep_id is not None:
            reason = f"followed customer {task.customer_id} to its new owner"
            give_task(uow=uow, task=task, rep_id=to_rep_id, actor=actor, now=now,
                      method=FOLLOWS_OWNER, reason=reason, override_capacity=True,
                      decision={"reason_code": FOLLOWS_OWNER, "text": reason})  # fmt: skip
        elif task.origin in SYSTEM_MADE:
            set_status(uow, task, TaskStatus.cancelled, actor=actor, now=now, reason=_TO_POOL)
        else:
            continue
        followed.append(task)
    return followed
