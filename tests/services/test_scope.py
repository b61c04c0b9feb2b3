"""Data scope (数据权限) in the services: what each role sees and may change."""

from __future__ import annotations

import pytest

from fenpei.domain.customers import Customer
from fenpei.domain.errors import NotFound, PermissionDenied
from fenpei.domain.org import Team
from fenpei.domain.users import SYSTEM, Actor, Role, User
from fenpei.services import scope
from fenpei.services.assignments import assign, history
from fenpei.services.customers import list_customers, read_customer, update_customer
from fenpei.services.org import create_team
from fenpei.services.ports import CustomerQuery
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, refused

MANAGER_USER_ID = 7


def _team(uow: FakeUnitOfWork, clock: FixedClock, name: str, parent: Team | None = None) -> Team:
    return in_transaction(
        uow,
        lambda: create_team(
            uow=uow,
            name=name,
            parent_id=parent.id if parent else None,
            actor=SYSTEM,
            now=clock.now(),
        ),
    )


def _manage(uow: FakeUnitOfWork, team: Team, user_id: int) -> None:
    """Make user ``user_id`` (created here) the team's manager."""

    def work() -> None:
        if uow.users.by_username("mia") is None:
            uow.users.add(User("mia", "not-a-hash", Role.manager, id=user_id))
        stored = uow.teams.get(team.id or 0)
        assert stored is not None
        stored.manager_user_id = user_id

    in_transaction(uow, work)


def _held_for(uow: FakeUnitOfWork, clock: FixedClock, name: str, team: Team) -> Customer:
    """An unowned customer held for ``team`` (as routing to a team pool leaves it)."""
    customer = a_customer(uow, clock, name)

    def work() -> None:
        stored = uow.customers.get(customer.id or 0)
        assert stored is not None
        stored.team_id = team.id

    in_transaction(uow, work)
    return customer


def test_team_tree_holds_every_team_below_the_roots() -> None:
    teams = [
        Team("East", id=1),
        Team("Shanghai", id=2, parent_id=1),
        Team("Pudong", id=3, parent_id=2),
        Team("West", id=4),
    ]
    assert scope.team_tree(teams, [1]) == {1, 2, 3}
    assert scope.team_tree(teams, [2, 4]) == {2, 3, 4}
    assert scope.team_tree(teams, []) == frozenset()


def test_admins_and_auditors_see_everything(uow: FakeUnitOfWork) -> None:
    with uow:
        for role in (Role.admin, Role.auditor):
            assert scope.data_scope(uow=uow, actor=Actor("x", role)).unrestricted


def test_a_manager_sees_the_reps_and_customers_of_their_tree_only(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    east = _team(uow, clock, "East")
    shanghai = _team(uow, clock, "Shanghai", parent=east)
    west = _team(uow, clock, "West")
    _manage(uow, east, MANAGER_USER_ID)
    inside, deep, outside = (
        a_rep(uow, clock, "In East", team_id=east.id),
        a_rep(uow, clock, "In Shanghai", team_id=shanghai.id),
        a_rep(uow, clock, "In West", team_id=west.id),
    )
    customers = {}
    for rep in (inside, deep, outside):
        customers[rep.name] = a_customer(uow, clock, f"Of {rep.name}")
        assigned(uow, clock, customers[rep.name], rep)
    pooled = _held_for(uow, clock, "Held for Shanghai", shanghai)
    manager = Actor("mia", Role.manager, user_id=MANAGER_USER_ID)

    with uow:
        visible = scope.data_scope(uow=uow, actor=manager)
        listed, total = list_customers(uow=uow, query=CustomerQuery(sort="name"), actor=manager)
        with pytest.raises(NotFound):
            read_customer(uow=uow, customer_id=customers["In West"].id or 0, actor=manager)
        with pytest.raises(NotFound):
            history(uow=uow, customer_id=customers["In West"].id or 0, actor=manager)

    assert visible.team_ids == {east.id, shanghai.id}
    assert visible.rep_ids == {inside.id, deep.id}
    assert [c.name for c in listed] == ["Held for Shanghai", "Of In East", "Of In Shanghai"]
    assert total == 3 and pooled.id in {c.id for c in listed}


def test_a_manager_of_no_team_and_a_rep_without_a_rep_record_see_nothing(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    a_customer(uow, clock)
    for actor in (Actor("new", Role.manager, user_id=99), Actor("temp", Role.rep, user_id=98)):
        with uow:
            assert list_customers(uow=uow, query=CustomerQuery(), actor=actor) == ([], 0)


def test_a_rep_sees_their_own_customers_and_cannot_edit_them(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    wang, zhao = a_rep(uow, clock, "Wang Fang"), a_rep(uow, clock, "Zhao Min")
    mine, theirs = a_customer(uow, clock, "Mine"), a_customer(uow, clock, "Theirs")
    assigned(uow, clock, mine, wang)
    assigned(uow, clock, theirs, zhao)
    rep = Actor("wang", Role.rep, user_id=3, rep_id=wang.id)

    with uow:
        assert read_customer(uow=uow, customer_id=mine.id or 0, actor=rep).name == "Mine"
        with pytest.raises(NotFound):
            read_customer(uow=uow, customer_id=theirs.id or 0, actor=rep)
    error = refused(
        uow,
        PermissionDenied,
        lambda: update_customer(
            uow=uow, customer_id=mine.id or 0, fields={"level": "A"}, actor=rep, now=clock.now()
        ),
    )
    assert "only an admin or a manager" in str(error)


def test_a_manager_may_not_hand_a_customer_to_a_rep_outside_their_tree(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    east, west = _team(uow, clock, "East"), _team(uow, clock, "West")
    _manage(uow, east, MANAGER_USER_ID)
    outsider = a_rep(uow, clock, "Outsider", team_id=west.id)
    customer = _held_for(uow, clock, "East lead", east)
    manager = Actor("mia", Role.manager, user_id=MANAGER_USER_ID)

    error = refused(
        uow,
        NotFound,
        lambda: assign(
            uow=uow,
            customer_id=customer.id or 0,
            rep_id=outsider.id or 0,
            actor=manager,
            now=clock.now(),
        ),
    )
    assert str(error) == f"rep {outsider.id} not found"
