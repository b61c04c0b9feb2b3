"""Owner changes for every customer matching a filter: counted and applied on the server,
within the actor's scope and the reps' capacity, all or nothing."""

from __future__ import annotations

from collections import Counter

import pytest

from fenpei.domain.assignments import AssignMethod
from fenpei.domain.customers import Customer
from fenpei.domain.errors import CapacityExceeded, PermissionDenied, ValidationFailed
from fenpei.domain.org import Rep, Team
from fenpei.domain.users import SYSTEM, Actor, Role, User
from fenpei.services import bulk_matching
from fenpei.services.bulk_matching import (
    MatchingChanged,
    MatchingResult,
    TooManyMatching,
    assign_matching,
    count_matching,
)
from fenpei.services.customers import get_customer
from fenpei.services.org import create_team
from fenpei.services.ports import CustomerQuery
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, bad_fields, refused

ADMIN = Actor("alice", Role.admin)
MANAGER_USER_ID = 7
MANAGER = Actor("mia", Role.manager, user_id=MANAGER_USER_ID)
EAST = CustomerQuery(region="East")


def _customers(
    uow: FakeUnitOfWork, clock: FixedClock, count: int, **fields: object
) -> list[Customer]:
    return [a_customer(uow, clock, f"Customer {n}", **fields) for n in range(count)]


def _owner(uow: FakeUnitOfWork, customer: Customer) -> int | None:
    with uow:
        return get_customer(uow=uow, customer_id=customer.id or 0).owner_id


def _apply(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    reps: list[Rep],
    *,
    query: CustomerQuery = EAST,
    actor: Actor = ADMIN,
    expected: int | None = None,
    reason: str | None = None,
) -> MatchingResult:
    return assign_matching(
        uow=uow,
        query=query,
        rep_ids=[r.id or 0 for r in reps],
        actor=actor,
        now=clock.now(),
        reason=reason,
        expected=expected,
    )


def _team(uow: FakeUnitOfWork, clock: FixedClock, name: str) -> Team:
    return in_transaction(
        uow, lambda: create_team(uow=uow, name=name, actor=SYSTEM, now=clock.now())
    )


def _manage(uow: FakeUnitOfWork, team: Team) -> None:
    def work() -> None:
        uow.users.add(User("mia", "not-a-hash", Role.manager, id=MANAGER_USER_ID))
        stored = uow.teams.get(team.id or 0)
        assert stored is not None
        stored.manager_user_id = MANAGER_USER_ID

    in_transaction(uow, work)


def test_count_matching_counts_every_customer_the_filter_matches(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _customers(uow, clock, 30, region="East")
    _customers(uow, clock, 4, region="West")
    with uow:
        assert count_matching(uow=uow, query=EAST, actor=ADMIN) == 30
        assert count_matching(uow=uow, query=CustomerQuery(), actor=ADMIN) == 34


def test_spreading_all_matching_customers_moves_each_one_through_the_bulk_service(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    reps = [a_rep(uow, clock, name) for name in ("Wang Fang", "Zhao Min", "Chen Jing")]
    east = _customers(uow, clock, 31, region="East")
    west = _customers(uow, clock, 3, region="West")
    result = in_transaction(uow, lambda: _apply(uow, clock, reps, expected=31))
    assert result.moved == 31 and result.skipped == 0
    assert sorted(result.by_rep.values()) == [10, 10, 11]
    assert set(result.by_rep) == {r.id for r in reps}
    assert Counter(_owner(uow, c) for c in east) == result.by_rep
    assert [_owner(uow, c) for c in west] == [None, None, None]
    with uow:
        records = [a for c in east for a in uow.assignments.for_customer(c.id or 0)]
    assert {r.method for r in records} == {AssignMethod.bulk}
    assert len(records) == 31
    # The same path as any bulk change: one audit entry and one event per customer.
    assert len([e for e in uow._store.audit if e.action == "assign.bulk"]) == 31
    assert len(list(uow._store.outbox_events)) == 31


def test_a_manager_moves_only_the_customers_of_their_teams(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    east_team, west_team = _team(uow, clock, "East"), _team(uow, clock, "West")
    _manage(uow, east_team)
    mine = a_rep(uow, clock, "Wang Fang", team_id=east_team.id)
    other = a_rep(uow, clock, "Zhao Min", team_id=west_team.id)
    ours = _customers(uow, clock, 3, region="East")
    theirs = _customers(uow, clock, 2, region="East")
    for customer in ours:
        assigned(uow, clock, customer, mine)
    for customer in theirs:
        assigned(uow, clock, customer, other)
    newcomer = a_rep(uow, clock, "Chen Jing", team_id=east_team.id)
    with uow:
        assert count_matching(uow=uow, query=EAST, actor=MANAGER) == 3
    result = in_transaction(
        uow, lambda: _apply(uow, clock, [newcomer], actor=MANAGER, expected=3, reason="rebalance")
    )
    assert result.by_rep == {newcomer.id: 3}
    assert {_owner(uow, c) for c in ours} == {newcomer.id}
    assert {_owner(uow, c) for c in theirs} == {other.id}


def test_capacity_is_respected_and_a_refusal_changes_nothing(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    reps = [a_rep(uow, clock, "Wang Fang", max_open=2), a_rep(uow, clock, "Zhao Min", max_open=3)]
    east = _customers(uow, clock, 6, region="East")
    error = refused(uow, CapacityExceeded, lambda: _apply(uow, clock, reps, expected=6))
    assert "at capacity" in str(error)
    assert [_owner(uow, c) for c in east] == [None] * 6
    assert not uow._store.assignments.rows


def test_capacity_fills_reps_with_room_first(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    small, big = a_rep(uow, clock, "Chen Jing", max_open=1), a_rep(uow, clock, "Wang Fang")
    _customers(uow, clock, 5, region="East")
    result = in_transaction(uow, lambda: _apply(uow, clock, [small, big]))
    assert result.by_rep == {small.id: 1, big.id: 4}


def test_a_changed_count_since_the_confirm_is_refused(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    east = _customers(uow, clock, 4, region="East")
    error = refused(uow, MatchingChanged, lambda: _apply(uow, clock, [rep], expected=3))
    assert (error.expected, error.found) == (3, 4)
    assert [_owner(uow, c) for c in east] == [None] * 4


def test_more_matching_customers_than_one_bulk_change_allows_is_refused_with_the_count(
    uow: FakeUnitOfWork, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_matching, "MAX_BULK_CUSTOMERS", 3)
    rep = a_rep(uow, clock)
    east = _customers(uow, clock, 5, region="East")
    error = refused(uow, TooManyMatching, lambda: _apply(uow, clock, [rep]))
    assert error.count == 5
    assert "matches 5 customers; at most 3 at once" in str(error)
    assert [_owner(uow, c) for c in east] == [None] * 5


def test_assigning_to_one_rep_leaves_their_own_customers_as_they_are(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    wang = a_rep(uow, clock)
    theirs, fresh = _customers(uow, clock, 2, region="East")
    assigned(uow, clock, theirs, wang)
    result = in_transaction(uow, lambda: _apply(uow, clock, [wang], expected=2))
    assert (result.by_rep, result.skipped) == ({wang.id: 1}, 1)
    assert _owner(uow, fresh) == wang.id
    with uow:
        assert len(uow.assignments.for_customer(theirs.id or 0)) == 1
    error = refused(uow, ValidationFailed, lambda: _apply(uow, clock, [wang]))
    assert bad_fields(error) == {"filter"}


def test_reps_cannot_apply_a_filter(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock)
    _customers(uow, clock, 2, region="East")
    refused(uow, PermissionDenied, lambda: _apply(uow, clock, [rep], actor=Actor("r", Role.rep)))
