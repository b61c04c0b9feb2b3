"""The tester on an existing rule says whether *this* rule matches the customer, besides
which rule fires first, and every candidate's score comes with what made it up."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Any

import pytest

from fenpei.domain.users import SYSTEM
from fenpei.services import assignments, org
from fenpei.services.customers import create_customer
from fenpei.services.rule_tester import Trial, try_rule_explained
from fenpei.services.rulebook import RuleBook
from fenpei.services.rules import create_rule, ensure_default_rule
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction

EAST = {"field": "region", "op": "eq", "value": "East"}


@dataclass
class World:
    east: int
    west: int
    alice: int  # East, retail, seniority 90, 2 open of max 10
    bob: int  # East, no skills, seniority 10, nothing open, no max
    rosie: int  # West
    vip_rule: int  # priority 10: level A → West
    east_rule: int  # priority 50: region East → East (the rule under test)


@pytest.fixture
def world(uow: FakeUnitOfWork, clock: FixedClock) -> World:
    def build() -> World:
        now = clock.now()
        east = org.create_team(uow=uow, name="East", actor=SYSTEM, now=now)
        west = org.create_team(uow=uow, name="West", actor=SYSTEM, now=now)

        def rep(name: str, team: int | None, **fields: Any) -> int:
            made = org.create_rep(
                uow=uow, fields={"name": name, "team_id": team, **fields}, actor=SYSTEM, now=now
            )
            return made.id or 0

        alice = rep("Alice", east.id, skills={"industries": ["retail"]}, seniority=90, max_open=10)
        bob = rep("Bob", east.id, seniority=10)
        rosie = rep("Rosie", west.id)
        ensure_default_rule(uow=uow, actor=SYSTEM, now=now)
        vip = create_rule(
            uow=uow,
            fields={
                "name": "VIP to West",
                "priority": 10,
                "conditions": {"field": "level", "op": "eq", "value": "A"},
                "target": {"kind": "team", "team_id": west.id},
            },
            actor=SYSTEM,
            now=now,
        )
        east_rule = create_rule(
            uow=uow,
            fields={
                "name": "East",
                "priority": 50,
                "conditions": EAST,
                "target": {"kind": "team", "team_id": east.id},
                "strategy": "least_loaded",
            },
            actor=SYSTEM,
            now=now,
        )
        for i in range(2):
            held = create_customer(uow=uow, fields={"name": f"held {i}"}, actor=SYSTEM, now=now)
            assignments.assign(
                uow=uow, customer_id=held.id or 0, rep_id=alice, actor=SYSTEM, now=now
            )
        return World(east.id or 0, west.id or 0, alice, bob, rosie, vip.id or 0, east_rule.id or 0)

    return in_transaction(uow, build)


def trying(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    world: World,
    customer: dict[str, object],
    **draft: Any,
) -> Trial:
    with uow:
        return try_rule_explained(
            uow=uow,
            rulebook=RuleBook(),
            draft_fields=draft,
            customer_fields=customer,
            actor=SYSTEM,
            now=clock.now(),
            rng=Random(3),
            rule_id=world.east_rule,
        )


def test_the_rule_matches_and_fires_first(
    uow: FakeUnitOfWork, clock: FixedClock, world: World
) -> None:
    trial = trying(uow, clock, world, {"region": "East", "level": "B"})

    assert trial.verdict is not None and trial.verdict.result == "matched"
    assert trial.fires and trial.decision.rule_id == world.east_rule
    assert trial.decision.rep_id == world.bob  # least loaded: 0/100 beats 2/10


def test_the_rule_matches_but_a_rule_above_fires_first_and_says_whom_it_would_pick(
    uow: FakeUnitOfWork, clock: FixedClock, world: World
) -> None:
    trial = trying(uow, clock, world, {"region": "East", "level": "A"})

    assert trial.decision.rule_id == world.vip_rule and trial.decision.rep_id == world.rosie
    assert trial.verdict is not None and trial.verdict.result == "matched"
    assert not trial.fires
    assert trial.alone.rule_id == world.east_rule and trial.alone.rep_id == world.bob
    assert set(trial.alone_reasons) == {world.alice, world.bob}


def test_the_rule_does_not_match_and_names_the_condition(
    uow: FakeUnitOfWork, clock: FixedClock, world: World
) -> None:
    trial = trying(uow, clock, world, {"region": "West"})

    assert trial.verdict is not None and trial.verdict.result == "no_match"
    assert "region" in (trial.verdict.failed_condition or "")
    assert not trial.fires and trial.alone.rep_id is None


def test_a_switched_off_rule_says_so(uow: FakeUnitOfWork, clock: FixedClock, world: World) -> None:
    trial = trying(uow, clock, world, {"region": "East"}, enabled=False)

    assert trial.verdict is not None and trial.verdict.result == "disabled"
    assert not trial.fires


def test_least_loaded_scores_carry_load_against_capacity(
    uow: FakeUnitOfWork, clock: FixedClock, world: World
) -> None:
    trial = trying(uow, clock, world, {"region": "East"})

    scores = {c.rep_id: c.score for c in trial.decision.candidates}
    (alice_load,) = trial.reasons[world.alice]
    assert alice_load.kind == "load"
    assert dict(alice_load.figures) == {
        "open": 2, "capacity": 10, "share": 0.2, "default": False
    }  # fmt: skip
    assert scores[world.alice] == pytest.approx(1 - 0.2)
    (bob_load,) = trial.reasons[world.bob]
    assert (bob_load.figures["capacity"], bob_load.figures["default"]) == (100, True)


def test_best_match_parts_add_up_to_each_score(
    uow: FakeUnitOfWork, clock: FixedClock, world: World
) -> None:
    trial = trying(
        uow, clock, world, {"region": "East", "industry": "retail", "level": "B"},
        strategy="best_match",
    )  # fmt: skip

    assert trial.fires and trial.decision.rep_id == world.alice
    for candidate in trial.decision.candidates:
        parts = trial.reasons[candidate.rep_id]
        assert all(part.points is not None for part in parts)
        assert sum(part.points or 0 for part in parts) == pytest.approx(candidate.score, abs=1e-5)
    kinds = [part.kind for part in trial.reasons[world.alice]]
    assert kinds == ["skill", "seniority", "load"]
    skill = trial.reasons[world.alice][0]
    assert dict(skill.figures) == {"what": "industry", "value": "retail", "weight": 3.0}
    assert [part.kind for part in trial.reasons[world.bob]] == ["seniority", "load"]


def test_round_robin_scores_say_whose_turn_is_next(
    uow: FakeUnitOfWork, clock: FixedClock, world: World
) -> None:
    trial = trying(uow, clock, world, {"region": "East"}, strategy="round_robin")

    turns = {
        rep_id: next(f.figures["place"] for f in factors if f.kind == "turn")
        for rep_id, factors in trial.reasons.items()
    }
    assert turns[trial.decision.rep_id or 0] == 1
    assert sorted(turns.values()) == [1, 2]
