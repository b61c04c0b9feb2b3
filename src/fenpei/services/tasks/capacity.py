"""Task capacity (任务容量): the weights of a rep's open tasks (effort hours, or 1 each)
may not exceed ``Rep.task_capacity``. Apart from customer capacity: a rep full of
customers may still take tasks, and the other way round.

Exactness under concurrency: whoever gives a task locks the rep's row first, then reads
their task load and checks it (``check_task_capacity``), so two transactions giving the
same rep a task are serialised on that row and the second one sees the first one's task.
Routing locks one rep at a time, in a savepoint it rolls back (releasing the lock) before
trying another, so no transaction ever waits for a rep while holding another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from fenpei.domain.errors import CapacityExceeded
from fenpei.domain.org import Rep
from fenpei.domain.tasks import Task
from fenpei.engine.capacity import WeightedLoad
from fenpei.engine.model import RepState
from fenpei.services.ports import UnitOfWork

ZERO = Decimal(0)


def task_load(uow: UnitOfWork, rep: Rep, task: Task) -> WeightedLoad:
    """The rep's open task weight (``task`` left out, should they hold it already) against
    their task capacity, with ``task``'s weight to add."""
    assert rep.id is not None
    used = uow.tasks.open_weights([rep.id], except_task_id=task.id)[rep.id]
    return WeightedLoad(used, rep.task_capacity, task.weight)


def check_task_capacity(uow: UnitOfWork, rep: Rep, task: Task) -> None:
    """Refuse (``CapacityExceeded``) a task the rep has no room for. Lock the rep's row
    before calling: the load read here then stays true until the transaction ends."""
    breach = task_load(uow, rep, task).breach()
    if breach is not None:
        raise CapacityExceeded(rep.name, breach)


def task_states(uow: UnitOfWork, reps: Mapping[int, RepState], task: Task) -> dict[int, RepState]:
    """The engine's input for routing ``task``: each rep's state (profile, teams, leaves)
    with their task load in place of their customer load, so eligibility checks task
    capacity and least loaded balances task weight. One query for all of them."""
    weights = uow.tasks.open_weights(list(reps), except_task_id=task.id)
    adding = task.weight
    return {
        rep_id: replace(
            state,
            weighted=WeightedLoad(weights.get(rep_id, ZERO), state.rep.task_capacity, adding),
            last_assigned_at=None,
        )
        for rep_id, state in reps.items()
    }
