"""A follow-up's next step (下一步) is a task about the customer, due at the next
follow-up, routed (to the customer's owner); a bad next step is named with the follow-up's
own bad fields, and nothing is written."""

from __future__ import annotations

import functools
from datetime import timedelta

from fenpei.domain.customers import Customer
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.follow_ups import FollowUp
from fenpei.domain.org import Rep
from fenpei.domain.tasks import Task, TaskFilter, TaskOrigin, TaskStatus
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.follow_ups.corrections import correct_follow_up
from fenpei.services.follow_ups.next_step import record_with_next_step
from fenpei.services.tasks.editing import edit_task
from fenpei.services.tasks.records import set_status
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, bad_fields, refused


def _wang_owns_acme(uow: FakeUnitOfWork, clock: FixedClock) -> tuple[Rep, Customer, Actor]:
    rep = a_rep(uow, clock, "Wang")
    customer = a_customer(uow, clock, "Acme")
    assigned(uow, clock, customer, rep)
    return rep, customer, Actor("wang", Role.rep, rep_id=rep.id)


def test_the_next_step_is_a_task_routed_to_the_customer_s_owner(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer, wang = _wang_owns_acme(uow, clock)
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


def test_correcting_the_next_date_moves_the_open_next_step_task_and_a_done_one_stays(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _, customer, wang = _wang_owns_acme(uow, clock)

    def logged(step: str) -> tuple[FollowUp, Task]:
        follow_up, task = in_transaction(uow, lambda: record_with_next_step(
            uow=uow, customer_id=customer.id or 0, actor=wang, kind="phone", at=clock.now(),
            content="谈了报价", now=clock.now(), next_at=clock.now() + timedelta(days=2),
            next_step=step))  # fmt: skip
        assert task is not None
        return follow_up, task

    moving, open_task = logged("发送报价")
    kept, done_task = logged("寄样品")
    in_transaction(uow, lambda: set_status(uow, uow.tasks.get(done_task.id or 0),
                                           TaskStatus.done, actor=wang, now=clock.now()))  # type: ignore[arg-type]  # fmt: skip
    later = clock.now() + timedelta(days=5)

    for follow_up_id in (moving.id or 0, kept.id or 0):
        in_transaction(uow, functools.partial(
            correct_follow_up, uow=uow, customer_id=customer.id or 0, follow_up_id=follow_up_id,
            actor=wang, changes={"next_at": later}, now=clock.now()))  # fmt: skip

    with uow:
        moved, stayed = uow.tasks.get(open_task.id or 0), uow.tasks.get(done_task.id or 0)
        assert moved is not None and moved.due_at == later
        assert stayed is not None and stayed.due_at == clock.now() + timedelta(days=2)
        assert "edited" in [e.kind.value for e in uow.tasks.history(open_task.id or 0)]
    in_transaction(uow, lambda: edit_task(
        uow=uow, actor=SYSTEM, task_id=open_task.id or 0,
        changes={"start_at": later + timedelta(days=1), "due_at": later + timedelta(days=2)},
        now=clock.now()))  # fmt: skip
    too_early = refused(uow, ValidationFailed, lambda: correct_follow_up(
        uow=uow, customer_id=customer.id or 0, follow_up_id=moving.id or 0, actor=wang,
        changes={"next_at": later + timedelta(hours=1)}, now=clock.now()))  # fmt: skip
    assert bad_fields(too_early) == {"next_at"}
    cleared = in_transaction(uow, lambda: correct_follow_up(
        uow=uow, customer_id=customer.id or 0, follow_up_id=moving.id or 0, actor=wang,
        changes={"next_at": None}, now=clock.now()))  # fmt: skip
    with uow:
        assert cleared.next_at is None and uow.tasks.get(open_task.id or 0).due_at is None  # type: ignore[union-attr]
