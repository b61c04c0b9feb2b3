"""A follow-up's next step (下一步) is a task about the customer, due at the next
follow-up, routed (to the customer's owner); a bad next step is named with the follow-up's
own bad fields, and nothing is written."""

from __future__ import annotations

from datetime import timedelta

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.tasks import TaskFilter, TaskOrigin
from fenpei.domain.users import Actor, Role
from fenpei.services.follow_ups.next_step import record_with_next_step
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, bad_fields, refused


def test_the_next_step_is_a_task_routed_to_the_customer_s_owner(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    customer = a_customer(uow, clock, "Acme")
    assigned(uow, clock, customer, rep)
    wang = Actor("wang", Role.rep, rep_id=rep.id)
    next_at = clock.now() + timedelta(days=2)
    follow_up, task = in_transaction(uow, lambda: record_with_next_step(
        uow=uow, customer_id=customer.id or 0, actor=wang, kind="phone", at=clock.now(),
        content="谈了报价", now=clock.now(), next_at=next_at,
        next_step="  发送报价  "))  # fmt: skip
    assert task is not None
    assert (task.title, task.origin, task.origin_ref) == (
        "发送报价", TaskOrigin.follow_up, f"follow_up:{follow_up.id}")  # fmt: skip
    assert (task.assignee_id, task.customer_id, task.due_at) == (rep.id, customer.id, next_at)
    with uow:
        assert uow.tasks.count(TaskFilter()) == 1
        assert uow.tasks.customer_ids([task.id or 0]) == {task.id: [customer.id]}


def test_a_bad_next_step_is_named_with_the_follow_up_s_bad_fields_and_nothing_is_written(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    customer = a_customer(uow, clock, "Acme")
    admin = Actor("root", Role.admin)

    def log(**fields: object) -> object:
        values: dict[str, object] = {"kind": "phone", "content": "电话", "next_step": "x" * 201}
        values.update(fields)
        return lambda: record_with_next_step(
            uow=uow, customer_id=customer.id or 0, actor=admin, at=clock.now(),
            now=clock.now(), **values)  # type: ignore[arg-type]  # fmt: skip

    both = refused(uow, ValidationFailed, log(content=""))  # type: ignore[arg-type]
    assert bad_fields(both) == {"content", "next_step"}
    alone = refused(uow, ValidationFailed, log())  # type: ignore[arg-type]
    assert bad_fields(alone) == {"next_step"}
    with uow:
        assert uow.follow_ups.count_for(customer.id or 0) == 0
