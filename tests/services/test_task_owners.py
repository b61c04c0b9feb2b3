"""A customer's open tasks follow it (services/tasks/owners.py), on the fakes: a transfer
gives the previous owner's open tasks on it to the new owner, over their task capacity,
saying why; a release to the pool cancels the system-made ones and keeps the hand-made
ones; a colleague's task, a finished one, and one about another customer stay put."""

from __future__ import annotations

from fenpei.domain.tasks import Task, TaskEventKind, TaskOrigin, TaskStatus
from fenpei.domain.users import SYSTEM
from fenpei.services.pool.claims import return_to_pool
from fenpei.services.tasks.records import TaskInput, create_task, give_task
from fenpei.services.tasks.workflow import change_status
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned


def _task(
    uow: FakeUnitOfWork, clock: FixedClock, customer_id: int, rep_id: int, origin: TaskOrigin
) -> Task:
    def make() -> Task:
        data = TaskInput(title=str(origin), customer_ids=[customer_id], origin=origin)
        task = create_task(uow=uow, actor=SYSTEM, data=data, now=clock.now())
        return give_task(uow=uow, task=task, rep_id=rep_id, actor=SYSTEM, now=clock.now())

    return in_transaction(uow, make)


def _state(uow: FakeUnitOfWork, task: Task) -> tuple[int | None, TaskStatus]:
    with uow:
        found = uow.tasks.get(task.id or 0)
        assert found is not None
        return found.assignee_id, TaskStatus(found.status)


def test_a_transfer_gives_the_previous_owners_open_tasks_on_it_to_the_new_owner(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    old, colleague = a_rep(uow, clock, "Wang"), a_rep(uow, clock, "Zhao")
    new_full = a_rep(uow, clock, "Full", task_capacity=1)  # room for one task, not two
    customer, other = a_customer(uow, clock, "Acme"), a_customer(uow, clock, "Other")
    assert old.id and colleague.id and new_full.id and customer.id and other.id
    assigned(uow, clock, customer, old)
    assigned(uow, clock, other, old)
    system_made = _task(uow, clock, customer.id, old.id, TaskOrigin.sla)
    by_hand = _task(uow, clock, customer.id, old.id, TaskOrigin.manual)
    done = _task(uow, clock, customer.id, old.id, TaskOrigin.manual)
    in_transaction(uow, lambda: change_status(uow=uow, actor=SYSTEM, task_id=done.id or 0,
                                              status="cancelled", now=clock.now()))  # fmt: skip
    helping = _task(uow, clock, customer.id, colleague.id, TaskOrigin.manual)
    elsewhere = _task(uow, clock, other.id, old.id, TaskOrigin.sla)

    assigned(uow, clock, customer, new_full, reason="Wang left the team")

    assert _state(uow, system_made) == (new_full.id, TaskStatus.todo)
    assert _state(uow, by_hand) == (new_full.id, TaskStatus.todo)
    assert _state(uow, done) == (old.id, TaskStatus.cancelled)
    assert _state(uow, helping) == (colleague.id, TaskStatus.todo)
    assert _state(uow, elsewhere) == (old.id, TaskStatus.todo)
    with uow:
        moved = uow.tasks.get(by_hand.id or 0)
        assert moved is not None and moved.decision == {
            "reason_code": "customer_owner",
            "text": f"followed customer {customer.id} to its new owner",
        }
        last = uow.tasks.history(by_hand.id or 0)[0]
    assert last.kind is TaskEventKind.reassigned
    assert (last.detail["from_rep_id"], last.detail["method"]) == (old.id, "customer_owner")


def test_a_return_to_the_pool_cancels_the_system_made_tasks_and_keeps_the_hand_made(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    old = a_rep(uow, clock, "Wang")
    customer = a_customer(uow, clock, "Acme")
    assert old.id and customer.id
    assigned(uow, clock, customer, old)
    made = {origin: _task(uow, clock, customer.id, old.id, origin) for origin in TaskOrigin}

    in_transaction(uow, lambda: return_to_pool(
        uow=uow, customer_id=customer.id or 0, reason="unreachable", actor=SYSTEM,
        now=clock.now(),
    ))  # fmt: skip

    states = {origin: _state(uow, task) for origin, task in made.items()}
    system_made = {TaskOrigin.follow_up, TaskOrigin.sla, TaskOrigin.reclaim}
    assert {o for o, (_, status) in states.items() if status is TaskStatus.cancelled} == system_made
    assert all(rep == old.id for rep, _ in states.values())
    with uow:
        last = uow.tasks.history(made[TaskOrigin.sla].id or 0)[0]
    assert last.kind is TaskEventKind.status
    assert last.detail["reason"] == "the customer went to a pool"
