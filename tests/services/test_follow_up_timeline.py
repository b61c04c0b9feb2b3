"""The customer's timeline (assignments, follow-ups, stage changes) and the reminders a
follow-up's next date brings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fenpei.domain.customers import Customer
from fenpei.domain.errors import NotFound, ValidationFailed
from fenpei.domain.events import EventType, ReminderKind
from fenpei.domain.org import Rep
from fenpei.domain.users import Actor, Role
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.follow_ups.reminders import remind_due_follow_ups
from fenpei.services.follow_ups.stages import change_stage
from fenpei.services.follow_ups.timeline import ItemKind, timeline
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned


def _rep_actor(rep: Rep) -> Actor:
    return Actor(rep.name, Role.rep, rep_id=rep.id, user_id=100 + (rep.id or 0))


def _owned(uow: FakeUnitOfWork, clock: FixedClock, name: str = "Li Lei") -> tuple[Rep, Customer]:
    rep = a_rep(uow, clock, f"Rep of {name}")
    customer = a_customer(uow, clock, name)
    assigned(uow, clock, customer, rep)
    return rep, customer


def _log(
    uow: FakeUnitOfWork, clock: FixedClock, customer: Customer, rep: Rep, **fields: object
) -> None:
    values: dict[str, object] = {"kind": "visit", "at": clock.now(), "content": "拜访"}
    values.update(fields)
    in_transaction(uow, lambda: record_follow_up(
        uow=uow, customer_id=customer.id or 0, actor=_rep_actor(rep), now=clock.now(), **values  # type: ignore[arg-type]
    ))  # fmt: skip


def _reminders(uow: FakeUnitOfWork) -> list[dict[str, object]]:
    events = uow.dump()["outbox_events"].values()
    return [row["payload"] for row in events if row["type"] is EventType.reminder]


def test_the_timeline_merges_everything_newest_first_and_pages(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = _owned(uow, clock)
    clock.advance(hours=1)
    _log(uow, clock, customer, rep, content="第一次")
    clock.advance(hours=1)
    in_transaction(uow, lambda: change_stage(
        uow=uow, customer_id=customer.id or 0, to="qualified", reason="有预算",
        actor=_rep_actor(rep), now=clock.now(),
    ))  # fmt: skip
    clock.advance(hours=1)
    _log(uow, clock, customer, rep, content="第二次")
    actor = _rep_actor(rep)

    with uow:
        page = timeline(uow=uow, customer_id=customer.id or 0, actor=actor, limit=3)
        rest = timeline(uow=uow, customer_id=customer.id or 0, actor=actor, offset=3, limit=3)

    kinds = [i.kind for i in page.items + rest.items]
    assert kinds == [
        ItemKind.follow_up, ItemKind.stage_change, ItemKind.follow_up, ItemKind.stage_change,
        ItemKind.assignment,
    ]  # fmt: skip
    assert page.total == rest.total == 5
    assert [getattr(i.record, "content", None) for i in page.items] == ["第二次", None, "第一次"]
    times = [i.at for i in page.items + rest.items]
    assert times == sorted(times, reverse=True)


def test_the_timeline_is_not_found_outside_ones_scope_and_checks_its_page(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _, customer = _owned(uow, clock)
    stranger = a_rep(uow, clock, "Zhao")
    with uow, pytest.raises(NotFound):
        timeline(uow=uow, customer_id=customer.id or 0, actor=_rep_actor(stranger))
    with uow, pytest.raises(ValidationFailed):
        timeline(uow=uow, customer_id=customer.id or 0, actor=Actor("root"), limit=0)


def test_a_due_follow_up_reminds_the_owner_once_at_its_time(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = _owned(uow, clock)
    due = clock.now() + timedelta(days=2)
    _log(uow, clock, customer, rep, next_at=due)

    def run() -> int:
        return in_transaction(
            uow, lambda: remind_due_follow_ups(uow=uow, now=clock.now())
        ).reminders

    clock.at = due - timedelta(seconds=1)
    assert run() == 0 and _reminders(uow) == []
    clock.at = due
    assert run() == 1
    clock.advance(days=1)
    assert run() == 0
    [reminder] = _reminders(uow)
    assert reminder["kind"] == ReminderKind.follow_up_due.value
    assert (reminder["customer_id"], reminder["rep_ids"]) == (customer.id, [rep.id])
    assert reminder["due"] == due.isoformat()


def test_a_follow_up_of_a_closed_or_unowned_customer_is_marked_without_a_reminder(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = _owned(uow, clock)
    _log(uow, clock, customer, rep, next_at=clock.now() + timedelta(hours=1))
    in_transaction(uow, lambda: change_stage(
        uow=uow, customer_id=customer.id or 0, to="won", reason=None, actor=_rep_actor(rep),
        now=clock.now(),
    ))  # fmt: skip
    clock.advance(hours=2)

    run = in_transaction(uow, lambda: remind_due_follow_ups(uow=uow, now=clock.now()))

    assert (run.follow_ups, run.reminders) == (1, 0)
    assert _reminders(uow) == []


def test_due_follow_ups_of_one_customer_make_one_reminder_each_run(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = _owned(uow, clock)
    other_rep, other = _owned(uow, clock, "Han Meimei")
    for minutes in (1, 2, 3):
        _log(uow, clock, customer, rep, next_at=clock.now() + timedelta(minutes=minutes))
    _log(uow, clock, other, other_rep, next_at=clock.now() + timedelta(minutes=4))
    clock.advance(hours=1)

    run = in_transaction(uow, lambda: remind_due_follow_ups(uow=uow, now=clock.now(), batch=2))

    assert (run.follow_ups, run.reminders) == (4, 2)
    assert sorted(str(r["customer_id"]) for r in _reminders(uow)) == sorted(
        [str(customer.id), str(other.id)]
    )
