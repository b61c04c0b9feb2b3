"""The routing engine through the services, on SQLite and PostgreSQL: the seeds' scenarios."""

from __future__ import annotations

from datetime import timedelta
from random import Random
from typing import Any

import pytest

from fenpei.bootstrap import Fenpei
from fenpei.domain.assignments import AssignMethod
from fenpei.domain.customers import Customer
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.users import SYSTEM
from fenpei.engine.model import Decision, Outcome
from fenpei.services import assignments, customers, org
from fenpei.services.intake import create_and_route
from fenpei.services.routing import preview
from fenpei.services.routing_batch import route_queued
from tests.fakes import FixedClock
from tests.integration._routing_world import World, add_rule, build_world


@pytest.fixture
def world(app: Fenpei) -> World:
    return build_world(app)


def arrive(app: Fenpei, **fields: Any) -> tuple[Customer, Decision]:
    with app.uow() as uow:
        customer, decision = create_and_route(
            uow=uow,
            rulebook=app.rulebook,
            fields={"name": "Lead", **fields},
            actor=SYSTEM,
            now=app.now(),
            rng=Random(7),
        )
        uow.commit()
    assert decision is not None
    return customer, decision


EAST = {"field": "region", "op": "eq", "value": "East"}


def test_customers_from_the_east_go_to_the_east_team_in_turn(app: Fenpei, world: World) -> None:
    add_rule(app, name="East", conditions=EAST, target={"kind": "team", "team_id": world.east})

    owners = [arrive(app, region="East")[1].rep_id for _ in range(4)]

    assert owners == [world.alice, world.bob, world.alice, world.bob]  # Eve is inactive


def test_an_inactive_rep_never_gets_anything_and_the_explanation_says_so(
    app: Fenpei, world: World
) -> None:
    add_rule(
        app,
        name="Eve only",
        conditions=EAST,
        target={"kind": "reps", "rep_ids": [world.eve]},
        fallback="queue",
    )

    customer, decision = arrive(app, region="East")

    assert decision.outcome is Outcome.queued and customer.owner_id is None
    assert [(e.rep_name, e.reason) for e in decision.exclusions] == [("Eve", "inactive")]
    assert customer.queue_reason and "nobody in the target is eligible" in customer.queue_reason


def test_level_a_customers_go_to_the_senior_rep(app: Fenpei, world: World) -> None:
    add_rule(
        app,
        name="Key accounts",
        conditions={"field": "level", "op": "eq", "value": "A"},
        target={"kind": "team", "team_id": world.east},
        strategy="best_match",
    )

    _, decision = arrive(app, region="East", level="A")

    assert decision.rep_id == world.alice
    assert [c.rep_name for c in decision.candidates] == ["Alice", "Bob"]


def test_the_industry_expert_gets_their_industry(app: Fenpei, world: World) -> None:
    add_rule(
        app,
        name="Retail",
        conditions={"field": "industry", "op": "eq", "value": "retail"},
        target={"kind": "skill", "skill": "industries:retail"},
    )

    _, decision = arrive(app, industry="retail")

    assert decision.rep_id == world.dan


def test_when_two_rules_match_the_higher_priority_wins(app: Fenpei, world: World) -> None:
    add_rule(
        app,
        name="Broad East",
        priority=50,
        conditions=EAST,
        target={"kind": "reps", "rep_ids": [world.bob]},
    )
    add_rule(
        app,
        name="East key accounts",
        priority=10,
        conditions={"all": [EAST, {"field": "level", "op": "eq", "value": "A"}]},
        target={"kind": "reps", "rep_ids": [world.alice]},
    )

    _, key = arrive(app, region="East", level="A")
    _, other = arrive(app, region="East", level="C")

    assert (key.rep_id, key.rule_name) == (world.alice, "East key accounts")
    assert (other.rep_id, other.rule_name) == (world.bob, "Broad East")
    # The level = A rule is indexed on level, so a level C customer never meets it.
    assert [(t.rule_name, t.result) for t in other.trace] == [("Broad East", "matched")]
    assert other.rules_skipped == 1  # the key-account rule, proved not to match by the index


def test_workload_balancing_evens_out_a_skewed_team(app: Fenpei, world: World) -> None:
    add_rule(
        app,
        name="East balanced",
        conditions=EAST,
        target={"kind": "team", "team_id": world.east},
        strategy="least_loaded",
    )
    with app.uow() as uow:
        for i in range(4):
            held = customers.create_customer(
                uow=uow, fields={"name": f"Old {i}"}, actor=SYSTEM, now=app.now()
            )
            assert held.id
            assignments.assign(
                uow=uow, customer_id=held.id, rep_id=world.bob, actor=SYSTEM, now=app.now()
            )
        uow.commit()

    owners = [arrive(app, region="East")[1].rep_id for _ in range(6)]

    assert owners[:4] == [world.alice] * 4  # Alice catches up with Bob's 4 first
    assert sorted(owners[4:]) == sorted([world.alice, world.bob])


def test_a_manual_assignment_overrides_the_rules_and_is_recorded_as_manual(
    app: Fenpei, world: World
) -> None:
    add_rule(app, name="East", conditions=EAST, target={"kind": "reps", "rep_ids": [world.alice]})
    customer, _ = arrive(app, region="East")
    assert customer.id is not None

    with app.uow() as uow:
        assignments.assign(
            uow=uow,
            customer_id=customer.id,
            rep_id=world.carol,
            actor=SYSTEM,
            now=app.now(),
            reason="Carol knows them",
        )
        uow.commit()
        history = assignments.history(uow=uow, customer_id=customer.id, actor=SYSTEM)

    assert [(r.method, r.to_rep_id) for r in history] == [
        (AssignMethod.rule, world.alice),
        (AssignMethod.transfer, world.carol),
    ]
    assert history[0].rule_id is not None and history[0].strategy == "round_robin"
    assert "rule 'East' matched" in (history[0].reason or "")


def test_a_rep_on_half_day_leave_gets_nothing_until_back(
    app: Fenpei, world: World, clock: FixedClock
) -> None:
    add_rule(app, name="East", conditions=EAST, target={"kind": "team", "team_id": world.east})
    morning = clock.at  # 09:30 UTC
    with app.uow() as uow:
        org.add_leave(
            uow=uow,
            rep_id=world.alice,
            starts_at=morning - timedelta(hours=1),
            ends_at=morning + timedelta(hours=3),
            actor=SYSTEM,
            now=morning,
            note="half day",
        )
        uow.commit()

    during = [arrive(app, region="East")[1] for _ in range(2)]
    clock.at = morning + timedelta(hours=3)
    after = arrive(app, region="East")[1]

    assert [d.rep_id for d in during] == [world.bob, world.bob]
    assert any(
        e.rep_name == "Alice" and e.reason.startswith("on leave until")
        for e in during[0].exclusions
    )
    assert after.rep_id == world.alice


def test_nothing_matched_goes_to_the_public_pool_by_the_default_rule(
    app: Fenpei, world: World
) -> None:
    customer, decision = arrive(app, region="North")

    assert decision.outcome is Outcome.pool and decision.pool == "public"
    assert customer.pool == "public" and customer.owner_id is None


def test_a_queued_customer_is_assigned_when_capacity_frees(app: Fenpei, world: World) -> None:
    with app.uow() as uow:
        org.update_rep(
            uow=uow, rep_id=world.carol, fields={"max_open": 1}, actor=SYSTEM, now=app.now()
        )
        uow.commit()
    add_rule(
        app,
        name="West",
        conditions={"field": "region", "op": "eq", "value": "West"},
        target={"kind": "reps", "rep_ids": [world.carol]},
        fallback="queue",
    )
    first, _ = arrive(app, region="West")
    waiting, queued = arrive(app, region="West")
    assert queued.outcome is Outcome.queued
    assert "at capacity: 1/1 open customers" in next(e.reason for e in queued.exclusions)

    with app.uow() as uow:
        assert first.id is not None
        customers.update_customer(
            uow=uow, customer_id=first.id, fields={"stage": "won"}, actor=SYSTEM, now=app.now()
        )
        uow.commit()
    outcomes = route_queued(
        uow_factory=app.uow, rulebook=app.rulebook, actor=SYSTEM, now=app.now, rng=Random(1)
    )

    assert outcomes["assigned"] == 1
    with app.uow() as uow:
        assert waiting.id is not None
        settled = customers.get_customer(uow=uow, customer_id=waiting.id)
    assert (settled.owner_id, settled.queue_reason, settled.queued_at) == (world.carol, None, None)


def test_preview_explains_without_writing(app: Fenpei, world: World) -> None:
    add_rule(app, name="East", conditions=EAST, target={"kind": "team", "team_id": world.east})

    with app.uow(read_only=True) as uow:
        first = preview(
            uow=uow,
            rulebook=app.rulebook,
            fields={"name": "X", "region": "East"},
            now=app.now(),
            rng=Random(1),
        )
        second = preview(
            uow=uow,
            rulebook=app.rulebook,
            fields={"name": "X", "region": "East"},
            now=app.now(),
            rng=Random(1),
        )

    assert first.rep_id == second.rep_id == world.alice  # the cursor did not move
    with pytest.raises(ValidationFailed) as caught, app.uow(read_only=True) as uow:
        preview(
            uow=uow,
            rulebook=app.rulebook,
            fields={"name": "X", "email": "nope"},
            now=app.now(),
            rng=Random(1),
        )
    assert [e.field for e in caught.value.errors] == ["email"]


def test_a_rule_with_bad_parts_is_refused_with_paths(app: Fenpei, world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        add_rule(
            app,
            name="Bad",
            conditions={"all": [{"field": "regoin", "op": "eq", "value": "East"}]},
            target={"kind": "reps", "rep_ids": [999]},
            strategy="fastest",
        )

    fields = {e.field for e in caught.value.errors}
    assert {"conditions.all[0].field", "target.rep_ids[0]", "strategy"} <= fields
