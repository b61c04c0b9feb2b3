"""Ownership changes by hand: assign, transfer, bulk, capacity and overrides, history."""

from __future__ import annotations

from collections import Counter
from functools import partial

import pytest

from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.customers import Customer
from fenpei.domain.errors import (
    CapacityExceeded,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from fenpei.domain.org import Rep
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.assignments import assign, bulk_assign, history
from fenpei.services.customers import delete_customer, get_customer, update_customer
from fenpei.services.org import update_rep
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, bad_fields, message_for, refused

ALICE = Actor("alice", Role.admin)
MIA = Actor("mia", Role.manager, user_id=7)  # manages no team here
REASON_REQUIRED = "a reason is required to take a customer from its current owner"


def _assign(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    customer: Customer,
    rep: Rep | int,
    *,
    actor: Actor = SYSTEM,
    reason: str | None = None,
    override_capacity: bool = False,
    idempotency_key: str | None = None,
) -> Assignment:
    return assign(
        uow=uow,
        customer_id=customer.id or 0,
        rep_id=rep if isinstance(rep, int) else rep.id or 0,
        actor=actor,
        now=clock.now(),
        reason=reason,
        override_capacity=override_capacity,
        idempotency_key=idempotency_key,
    )


def _bulk(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    customers: list[Customer],
    reps: list[Rep],
    *,
    actor: Actor = SYSTEM,
    reason: str | None = None,
    override_capacity: bool = False,
) -> list[Assignment]:
    return bulk_assign(
        uow=uow,
        customer_ids=[c.id or 0 for c in customers],
        rep_ids=[r.id or 0 for r in reps],
        actor=actor,
        now=clock.now(),
        reason=reason,
        override_capacity=override_capacity,
    )


def _owner(uow: FakeUnitOfWork, customer: Customer) -> int | None:
    with uow:
        return get_customer(uow=uow, customer_id=customer.id or 0).owner_id


def _customers(uow: FakeUnitOfWork, clock: FixedClock, count: int) -> list[Customer]:
    return [a_customer(uow, clock, f"Customer {n}") for n in range(count)]


def test_assign_gives_an_unowned_customer_to_the_rep_and_records_why(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    team_rep = a_rep(uow, clock, max_open=10)
    customer = a_customer(uow, clock)
    record = in_transaction(uow, lambda: _assign(uow, clock, customer, team_rep, actor=ALICE))
    assert (record.method, record.from_rep_id, record.to_rep_id) == (
        AssignMethod.manual,
        None,
        team_rep.id,
    )
    assert (record.actor, record.at, record.capacity_override) == ("alice", clock.now(), False)
    assert record.explanation["kind"] == "manual"
    assert record.explanation["usage_before"] == {"open": 0, "day": 0, "week": 0, "month": 0}
    assert record.explanation["capacity"]["open"] == 10
    with uow:
        stored = get_customer(uow=uow, customer_id=customer.id or 0)
    assert (stored.owner_id, stored.assigned_at) == (team_rep.id, clock.now())
    audit = uow.audit.find(object_type="customer", object_id=str(customer.id))[0]
    assert audit.action == "assign.manual"
    assert (audit.before["owner_id"], audit.after["owner_id"]) == (None, team_rep.id)


def test_assign_locks_the_customer_before_the_rep(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep, customer = a_rep(uow, clock), a_customer(uow, clock)
    with uow:
        _assign(uow, clock, customer, rep)
        assert uow.locked == [("customer", customer.id), ("rep", rep.id)]


def test_assign_refuses_rep_at_capacity_and_records_nothing(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, max_open=1)
    first, second = _customers(uow, clock, 2)
    assigned(uow, clock, first, rep)
    error = refused(uow, CapacityExceeded, lambda: _assign(uow, clock, second, rep))
    assert str(error) == "Wang Fang is at capacity: 1/1 open customers"
    assert _owner(uow, second) is None
    assert uow.assignments.for_customer(second.id or 0) == []


def test_admin_can_override_capacity_and_the_override_is_recorded(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, max_open=1)
    first, second = _customers(uow, clock, 2)
    assigned(uow, clock, first, rep)
    record = in_transaction(
        uow, lambda: _assign(uow, clock, second, rep, actor=SYSTEM, override_capacity=True)
    )
    assert record.capacity_override
    assert record.explanation["override"] == {"breach": "1/1 open customers"}
    assert _owner(uow, second) == rep.id


def test_override_is_not_recorded_when_the_rep_had_room(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = a_rep(uow, clock, max_open=5), a_customer(uow, clock)
    record = in_transaction(uow, lambda: _assign(uow, clock, customer, rep, override_capacity=True))
    assert not record.capacity_override
    assert record.explanation["override"] is None


def test_non_admin_cannot_override_capacity(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep, customer = a_rep(uow, clock), a_customer(uow, clock)
    error = refused(
        uow,
        PermissionDenied,
        lambda: _assign(uow, clock, customer, rep, actor=MIA, override_capacity=True),
    )
    assert str(error) == "only an admin may assign above a rep's capacity"
    assert error.as_dict()["code"] == "permission_denied"


def test_transfer_requires_reason_and_is_recorded_as_transfer(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    wang, zhao = a_rep(uow, clock), a_rep(uow, clock, "Zhao Min")
    customer = a_customer(uow, clock)
    assigned(uow, clock, customer, wang)
    for no_reason in (None, "   "):

        def transfer(reason: str | None = no_reason) -> Assignment:
            return _assign(uow, clock, customer, zhao, reason=reason)

        error = refused(uow, ValidationFailed, transfer)
        assert message_for(error, "reason") == REASON_REQUIRED and len(error.errors) == 1
    record = in_transaction(
        uow, lambda: _assign(uow, clock, customer, zhao, reason=" customer asked for Zhao ")
    )
    assert (record.method, record.from_rep_id, record.to_rep_id) == (
        AssignMethod.transfer,
        wang.id,
        zhao.id,
    )
    assert record.reason == "customer asked for Zhao"
    assert record.explanation["kind"] == "transfer"
    assert _owner(uow, customer) == zhao.id


def test_assign_to_the_current_owner_is_a_conflict(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep, customer = a_rep(uow, clock), a_customer(uow, clock)
    assigned(uow, clock, customer, rep)
    refused(uow, Conflict, lambda: _assign(uow, clock, customer, rep, reason="again"))


def test_assign_to_inactive_rep_is_refused(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep, customer = a_rep(uow, clock, active=False), a_customer(uow, clock)
    error = refused(uow, ValidationFailed, lambda: _assign(uow, clock, customer, rep))
    assert bad_fields(error) == {"rep_id"}
    assert "Wang Fang is inactive" in error.errors[0].message


def test_assign_to_unknown_rep_is_not_found(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    customer = a_customer(uow, clock)
    error = refused(uow, NotFound, lambda: _assign(uow, clock, customer, 404))
    assert (error.kind, error.key) == ("rep", 404)


def test_assign_of_unknown_or_deleted_customer_is_not_found(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = a_rep(uow, clock), a_customer(uow, clock)
    refused(uow, NotFound, lambda: _assign(uow, clock, Customer(name="ghost", id=404), rep))
    in_transaction(
        uow,
        lambda: delete_customer(
            uow=uow, customer_id=customer.id or 0, actor=SYSTEM, now=clock.now()
        ),
    )
    refused(uow, NotFound, lambda: _assign(uow, clock, customer, rep))


def test_closed_customers_do_not_count_against_the_open_limit(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, max_open=1)
    won, fresh = _customers(uow, clock, 2)
    assigned(uow, clock, won, rep)
    in_transaction(
        uow,
        lambda: update_customer(
            uow=uow, customer_id=won.id or 0, fields={"stage": "won"}, actor=SYSTEM, now=clock.now()
        ),
    )
    assigned(uow, clock, fresh, rep)
    assert _owner(uow, fresh) == rep.id


def test_the_daily_intake_limit_starts_again_at_the_reps_local_midnight(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, max_per_day=2, time_zone="Asia/Shanghai")  # 17:30 local
    first, second, third = _customers(uow, clock, 3)
    assigned(uow, clock, first, rep)
    assigned(uow, clock, second, rep)
    clock.advance(hours=6, minutes=29)  # 23:59 in Shanghai, still the same day there
    error = refused(uow, CapacityExceeded, lambda: _assign(uow, clock, third, rep))
    assert error.reason == "2/2 new customers today"
    clock.advance(minutes=1)  # midnight in Shanghai (16:00 UTC)
    assigned(uow, clock, third, rep)
    assert _owner(uow, third) == rep.id


def test_the_same_instants_count_in_each_reps_own_day(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    shanghai = a_rep(uow, clock, max_per_day=1, time_zone="Asia/Shanghai")
    london = a_rep(uow, clock, "Zhao Min", max_per_day=1, time_zone="Europe/London")
    a, b, c, d = _customers(uow, clock, 4)
    assigned(uow, clock, a, shanghai)  # 17:30 in Shanghai, 09:30 in London
    assigned(uow, clock, b, london)
    clock.advance(hours=8)  # 01:30 next day in Shanghai, 17:30 the same day in London
    assigned(uow, clock, c, shanghai)
    error = refused(uow, CapacityExceeded, lambda: _assign(uow, clock, d, london))
    assert error.reason == "1/1 new customers today"


def test_the_weekly_limit_counts_from_monday_in_the_reps_zone(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, max_per_week=1, time_zone="UTC")  # Monday 2 November, 09:30
    first, second = _customers(uow, clock, 2)
    assigned(uow, clock, first, rep)
    clock.advance(days=6, hours=14, minutes=29)  # Sunday 23:59
    error = refused(uow, CapacityExceeded, lambda: _assign(uow, clock, second, rep))
    assert error.reason == "1/1 new customers this week"
    clock.advance(minutes=1)  # Monday 9 November, 00:00
    assigned(uow, clock, second, rep)


def test_a_transfer_counts_as_intake_for_the_receiving_rep(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    wang, zhao = a_rep(uow, clock), a_rep(uow, clock, "Zhao Min", max_per_day=1)
    moved, fresh = _customers(uow, clock, 2)
    assigned(uow, clock, moved, wang)
    assigned(uow, clock, moved, zhao, reason="territory change")
    refused(uow, CapacityExceeded, lambda: _assign(uow, clock, fresh, zhao))


def test_idempotency_key_returns_first_assignment(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    wang = a_rep(uow, clock)
    customer = a_customer(uow, clock)
    first = assigned(uow, clock, customer, wang, idempotency_key="req-1")
    clock.advance(minutes=1)
    retried = in_transaction(
        uow, lambda: _assign(uow, clock, customer, wang, idempotency_key="req-1")
    )
    assert (retried.id, retried.to_rep_id, retried.at) == (first.id, wang.id, first.at)
    assert len(uow.assignments.for_customer(customer.id or 0)) == 1
    assert _owner(uow, customer) == wang.id


def test_an_idempotency_key_reused_for_another_customer_or_rep_is_a_conflict(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    wang, zhao = a_rep(uow, clock), a_rep(uow, clock, "Zhao Min")
    customer, other = _customers(uow, clock, 2)
    assigned(uow, clock, customer, wang, idempotency_key="req-1")
    for again in (
        lambda: _assign(uow, clock, customer, zhao, reason="retry", idempotency_key="req-1"),
        lambda: _assign(uow, clock, other, wang, idempotency_key="req-1"),
    ):
        error = refused(uow, Conflict, again)
        assert type(error) is Conflict
        assert str(error) == "idempotency key 'req-1' was used for another request"
    assert (_owner(uow, customer), _owner(uow, other)) == (wang.id, None)


def test_a_refused_attempt_does_not_use_up_its_idempotency_key(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, max_open=0)
    customer = a_customer(uow, clock)
    refused(uow, CapacityExceeded, lambda: _assign(uow, clock, customer, rep, idempotency_key="k"))
    in_transaction(
        uow,
        lambda: update_rep(
            uow=uow, rep_id=rep.id or 0, fields={"max_open": 1}, actor=SYSTEM, now=clock.now()
        ),
    )
    record = assigned(uow, clock, customer, rep, idempotency_key="k")
    assert record.idempotency_key == "k" and _owner(uow, customer) == rep.id


def test_a_reason_longer_than_the_record_holds_is_refused_by_naming_it(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    wang, zhao = a_rep(uow, clock), a_rep(uow, clock, "Zhao Min")
    customer = a_customer(uow, clock)
    assigned(uow, clock, customer, wang)
    error = refused(
        uow, ValidationFailed, lambda: _assign(uow, clock, customer, zhao, reason="r" * 1001)
    )
    assert message_for(error, "reason") == "is longer than 1000 characters"
    record = assigned(uow, clock, customer, zhao, reason=f" {'r' * 1000} ")
    assert record.reason == "r" * 1000


def test_a_reason_given_for_a_first_assignment_is_kept_and_bounded_too(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, first, second = a_rep(uow, clock), *_customers(uow, clock, 2)
    error = refused(
        uow, ValidationFailed, lambda: _assign(uow, clock, first, rep, reason="r" * 1001)
    )
    assert bad_fields(error) == {"reason"}
    assert assigned(uow, clock, first, rep, reason=" new lead ").reason == "new lead"
    assert assigned(uow, clock, second, rep, reason="   ").reason is None


def test_history_lists_every_change_oldest_first(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    wang, zhao = a_rep(uow, clock), a_rep(uow, clock, "Zhao Min")
    customer = a_customer(uow, clock)
    assigned(uow, clock, customer, wang)
    clock.advance(hours=1)
    assigned(uow, clock, customer, zhao, reason="holiday cover")
    clock.advance(days=3)
    assigned(uow, clock, customer, wang, reason="back from holiday")
    with uow:
        changes = history(uow=uow, customer_id=customer.id or 0, actor=SYSTEM)
    assert [(a.method, a.from_rep_id, a.to_rep_id) for a in changes] == [
        (AssignMethod.manual, None, wang.id),
        (AssignMethod.transfer, wang.id, zhao.id),
        (AssignMethod.transfer, zhao.id, wang.id),
    ]
    assert [a.at for a in changes] == sorted(a.at for a in changes)


def test_history_of_unknown_customer_is_not_found(uow: FakeUnitOfWork) -> None:
    with uow, pytest.raises(NotFound):
        history(uow=uow, customer_id=404, actor=SYSTEM)


def test_bulk_assign_spreads_evenly_over_chosen_reps(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    reps = [a_rep(uow, clock, name) for name in ("Wang Fang", "Zhao Min", "Chen Jing")]
    customers = _customers(uow, clock, 7)
    records = in_transaction(uow, lambda: _bulk(uow, clock, customers, reps, actor=ALICE))
    per_rep = Counter(r.to_rep_id for r in records)
    assert sorted(per_rep.values()) == [2, 2, 3]
    assert {r.method for r in records} == {AssignMethod.bulk}
    assert {r.actor for r in records} == {"alice"}
    assert records[0].explanation["batch_size"] == 7
    assert sorted(records[0].explanation["spread_over"]) == ["Chen Jing", "Wang Fang", "Zhao Min"]
    assert [_owner(uow, c) for c in customers] == [r.to_rep_id for r in records]


def test_bulk_assign_to_one_rep_gives_it_every_customer(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    customers = _customers(uow, clock, 3)
    in_transaction(uow, lambda: _bulk(uow, clock, customers, [rep]))
    assert {_owner(uow, c) for c in customers} == {rep.id}


def test_bulk_assign_fills_the_reps_with_room_when_one_is_full(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    small, big = a_rep(uow, clock, "Chen Jing", max_open=1), a_rep(uow, clock, "Wang Fang")
    customers = _customers(uow, clock, 4)
    records = in_transaction(uow, lambda: _bulk(uow, clock, customers, [small, big]))
    assert Counter(r.to_rep_id for r in records) == {small.id: 1, big.id: 3}
    assert not any(r.capacity_override for r in records)


def test_bulk_assign_is_all_or_nothing_when_capacity_runs_out(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    reps = [a_rep(uow, clock, "Chen Jing", max_open=1), a_rep(uow, clock, max_per_day=1)]
    customers = _customers(uow, clock, 3)
    error = refused(uow, CapacityExceeded, lambda: _bulk(uow, clock, customers, reps))
    assert str(error) == (
        "Chen Jing is at capacity: 0/1 open customers (+2 would exceed) "
        "(this batch gives them 2 of 3)"
    )
    assert [_owner(uow, c) for c in customers] == [None, None, None]
    assert not any(uow.assignments.for_customer(c.id or 0) for c in customers)


def test_admin_bulk_override_records_which_assignments_broke_a_limit(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, max_open=1)
    customers = _customers(uow, clock, 3)
    records = in_transaction(
        uow, lambda: _bulk(uow, clock, customers, [rep], override_capacity=True)
    )
    assert [r.capacity_override for r in records] == [False, True, True]
    assert "open customers" in records[2].explanation["override"]["breach"]


def test_non_admin_cannot_override_capacity_in_bulk(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep, customers = a_rep(uow, clock), _customers(uow, clock, 2)
    error = refused(
        uow,
        PermissionDenied,
        lambda: _bulk(uow, clock, customers, [rep], actor=MIA, override_capacity=True),
    )
    assert str(error) == "only an admin may assign above a rep's capacity"


def test_bulk_assign_never_hands_a_customer_to_its_current_owner(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    wang, zhao = a_rep(uow, clock), a_rep(uow, clock, "Zhao Min")
    owned, fresh = _customers(uow, clock, 2)
    assigned(uow, clock, owned, wang)
    in_transaction(uow, lambda: _bulk(uow, clock, [owned, fresh], [wang, zhao], reason="rebalance"))
    assert _owner(uow, owned) == zhao.id
    refused(uow, Conflict, lambda: _bulk(uow, clock, [owned], [zhao], reason="again"))


def test_bulk_assign_needs_customers_and_reps(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep, customers = a_rep(uow, clock), _customers(uow, clock, 1)
    assert bad_fields(refused(uow, ValidationFailed, lambda: _bulk(uow, clock, [], [rep]))) == {
        "customer_ids"
    }
    assert bad_fields(refused(uow, ValidationFailed, lambda: _bulk(uow, clock, customers, []))) == {
        "rep_ids"
    }


def test_bulk_assign_with_unknown_or_deleted_customers_names_them(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    kept, deleted = _customers(uow, clock, 2)
    in_transaction(
        uow,
        lambda: delete_customer(
            uow=uow, customer_id=deleted.id or 0, actor=SYSTEM, now=clock.now()
        ),
    )
    ghost = Customer(name="ghost", id=404)
    error = refused(uow, NotFound, lambda: _bulk(uow, clock, [kept, deleted, ghost], [rep]))
    assert (error.kind, error.key) == ("customer", [deleted.id, 404])


def test_bulk_assign_to_unknown_or_inactive_rep_is_refused(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    active, inactive = a_rep(uow, clock), a_rep(uow, clock, "Zhao Min", active=False)
    customers = _customers(uow, clock, 2)
    ghost = Rep(name="ghost", id=404)
    assert refused(uow, NotFound, lambda: _bulk(uow, clock, customers, [active, ghost])).key == 404
    error = refused(uow, ValidationFailed, lambda: _bulk(uow, clock, customers, [active, inactive]))
    assert bad_fields(error) == {"rep_ids[1]"}


def test_bulk_assign_names_an_inactive_rep_by_its_position_in_the_request(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    active, inactive = a_rep(uow, clock), a_rep(uow, clock, "Zhao Min", active=False)
    customers = _customers(uow, clock, 2)
    error = refused(
        uow, ValidationFailed, lambda: _bulk(uow, clock, customers, [active, active, inactive])
    )
    assert message_for(error, "rep_ids[2]") == "Zhao Min is inactive"
    error = refused(
        uow, ValidationFailed, lambda: _bulk(uow, clock, customers, [inactive, active, inactive])
    )
    assert bad_fields(error) == {"rep_ids[0]"}


def test_bulk_reassignment_away_from_a_current_owner_requires_a_reason(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    wang, zhao = a_rep(uow, clock), a_rep(uow, clock, "Zhao Min")
    owned, fresh = _customers(uow, clock, 2)
    assigned(uow, clock, owned, wang)
    for no_reason in (None, "  "):
        bulk = partial(_bulk, uow, clock, [fresh, owned], [zhao], reason=no_reason)
        error = refused(uow, ValidationFailed, bulk)
        assert message_for(error, "reason") == REASON_REQUIRED and len(error.errors) == 1
    records = in_transaction(
        uow, lambda: _bulk(uow, clock, [fresh, owned], [zhao], reason=" rebalance ")
    )
    by_customer = {r.customer_id: r for r in records}
    moved, given = by_customer[owned.id or 0], by_customer[fresh.id or 0]
    assert (moved.from_rep_id, moved.reason, moved.explanation["transfer"]) == (
        wang.id,
        "rebalance",
        True,
    )
    assert (given.from_rep_id, given.reason, given.explanation["transfer"]) == (
        None,
        "rebalance",
        False,
    )


def test_bulk_reason_is_bounded_like_a_single_assignments(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customers = a_rep(uow, clock), _customers(uow, clock, 2)
    error = refused(
        uow, ValidationFailed, lambda: _bulk(uow, clock, customers, [rep], reason="r" * 1001)
    )
    assert message_for(error, "reason") == "is longer than 1000 characters"
