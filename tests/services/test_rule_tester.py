"""The rule editor's tester on the fakes: a draft routes as if saved, at its priority,
and nothing is written — no rule, no version, no audit entry, no cursor moved."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Any

import pytest

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.users import SYSTEM
from fenpei.engine.model import Decision, Outcome
from fenpei.services import org
from fenpei.services.rule_tester import DRAFT_ID, check_draft, try_rule
from fenpei.services.rulebook import RuleBook
from fenpei.services.rules import create_rule, ensure_default_rule
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction

EAST = {"field": "region", "op": "eq", "value": "East"}


@dataclass
class World:
    east: int
    west: int
    alice: int  # East
    rosie: int  # West
    east_rule: int


@pytest.fixture
def rulebook() -> RuleBook:
    return RuleBook()


@pytest.fixture
def world(uow: FakeUnitOfWork, clock: FixedClock) -> World:
    def build() -> World:
        now = clock.now()
        east = org.create_team(uow=uow, name="East", actor=SYSTEM, now=now)
        west = org.create_team(uow=uow, name="West", actor=SYSTEM, now=now)
        alice = org.create_rep(
            uow=uow, fields={"name": "Alice", "team_id": east.id}, actor=SYSTEM, now=now
        )
        rosie = org.create_rep(
            uow=uow, fields={"name": "Rosie", "team_id": west.id}, actor=SYSTEM, now=now
        )
        ensure_default_rule(uow=uow, actor=SYSTEM, now=now)
        rule = create_rule(
            uow=uow,
            fields={
                "name": "East",
                "priority": 50,
                "conditions": EAST,
                "target": {"kind": "team", "team_id": east.id},
            },
            actor=SYSTEM,
            now=now,
        )
        return World(east.id or 0, west.id or 0, alice.id or 0, rosie.id or 0, rule.id or 0)

    return in_transaction(uow, build)


def trying(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    rulebook: RuleBook,
    draft: dict[str, Any],
    customer: dict[str, object],
    rule_id: int | None = None,
) -> Decision:
    return try_rule(
        uow=uow,
        rulebook=rulebook,
        draft_fields=draft,
        customer_fields=customer,
        actor=SYSTEM,
        now=clock.now(),
        rng=Random(3),
        rule_id=rule_id,
    )


def a_west_rule(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "name": "Big East to West",
        "priority": 10,
        "conditions": {"all": [EAST, {"field": "employees", "op": "gte", "value": 500}]},
        "target": {"kind": "team", "team_id": world.west},
        **fields,
    }


def test_a_new_draft_wins_when_its_conditions_match_and_it_comes_first(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: World
) -> None:
    with uow:
        big = trying(uow, clock, rulebook, a_west_rule(world), {"region": "East", "employees": 900})
        small = trying(uow, clock, rulebook, a_west_rule(world), {"region": "East", "employees": 9})

    assert big.rule_id == DRAFT_ID and big.rule_name == "Big East to West"
    assert big.outcome is Outcome.assigned and big.rep_id == world.rosie
    assert small.rule_id == world.east_rule and small.rep_id == world.alice
    assert small.trace[0].rule_id == DRAFT_ID and small.trace[0].result == "no_match"


def test_a_new_draft_below_a_matching_rule_never_fires(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: World
) -> None:
    with uow:
        decision = trying(
            uow,
            clock,
            rulebook,
            a_west_rule(world, priority=90),
            {"region": "East", "employees": 900},
        )

    assert decision.rule_id == world.east_rule and decision.rep_id == world.alice


def test_an_edited_rule_replaces_its_saved_version(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: World
) -> None:
    draft = {"target": {"kind": "reps", "rep_ids": [world.rosie]}}

    with uow:
        decision = trying(uow, clock, rulebook, draft, {"region": "East"}, rule_id=world.east_rule)

    assert decision.rule_id == world.east_rule and decision.rep_id == world.rosie
    assert [t.rule_id for t in decision.trace].count(world.east_rule) == 1


def test_a_disabled_draft_is_skipped_as_routing_would_skip_it(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: World
) -> None:
    with uow:
        decision = trying(
            uow, clock, rulebook, {"enabled": False}, {"region": "East"}, rule_id=world.east_rule
        )

    assert decision.outcome is Outcome.pool  # the default rule took it
    assert decision.trace[0].result == "disabled"


def test_an_invalid_draft_is_refused_naming_each_path_and_the_customer_fields(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: World
) -> None:
    draft = a_west_rule(
        world,
        conditions={"all": [EAST, {"field": "employees", "op": "between", "value": [500, 10]}]},
        target={"kind": "team", "team_id": 999},
    )

    with uow, pytest.raises(ValidationFailed) as caught:
        trying(uow, clock, rulebook, draft, {"region": "East", "email": "not an email"})

    fields = {e.field for e in caught.value.errors}
    assert fields == {"conditions.all[1].value", "target.team_id", "customer.email"}


def test_trying_writes_nothing_and_moves_no_cursor(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: World
) -> None:
    draft = {"target": {"kind": "team", "team_id": world.east}, "strategy": "round_robin"}

    with uow:
        before = uow.dump()
        first = trying(uow, clock, rulebook, draft, {"region": "East"}, rule_id=world.east_rule)
        second = trying(uow, clock, rulebook, draft, {"region": "East"}, rule_id=world.east_rule)
        assert uow.dump() == before
        assert uow.locked == []

    assert first.rep_id == second.rep_id
    assert first.state_after != first.state_before  # the cursor would move, were it saved


def test_check_draft_runs_the_save_validation_without_saving(
    uow: FakeUnitOfWork, world: World
) -> None:
    with uow:
        before = uow.dump()
        good = check_draft(
            uow=uow, actor=SYSTEM, draft_fields={"name": " Renamed "}, rule_id=world.east_rule
        )
        with pytest.raises(ValidationFailed) as caught:
            check_draft(
                uow=uow, actor=SYSTEM, draft_fields={"name": "X", "colour": "red", "target": {}}
            )
        assert uow.dump() == before

    assert good.name == "Renamed" and good.conditions == EAST
    assert {e.field for e in caught.value.errors} == {"colour", "target"}


def test_the_default_rule_keeps_catching_everything(uow: FakeUnitOfWork, world: World) -> None:
    default = next(r for r in uow.rules.active() if r.is_default)

    with uow, pytest.raises(ValidationFailed) as caught:
        check_draft(uow=uow, actor=SYSTEM, draft_fields={"conditions": EAST}, rule_id=default.id)

    assert [e.field for e in caught.value.errors] == ["conditions"]
