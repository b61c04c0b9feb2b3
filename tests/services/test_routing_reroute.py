"""Dynamic re-routing (动态分配) through the services: a change that makes a rule's trigger
true routes the customer again through that rule, within its limits, recorded as every
owner change is."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Any

import pytest

from fenpei.domain.assignments import AssignMethod
from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.events import EventType
from fenpei.domain.scoring import ModelKind, ScoreModel
from fenpei.domain.users import SYSTEM, Actor
from fenpei.services.pool.terms import set_terms
from fenpei.services.routing_reroute import (
    Rerouted,
    change_stage_and_reroute,
    on_rescore,
    reroute_on_change,
    snapshot,
    update_customer_and_reroute,
)
from fenpei.services.rulebook import RuleBook
from fenpei.services.rules import create_rule
from fenpei.services.scoring.rescore import rescore_stale
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned

HOT = {"field": "level", "op": "eq", "value": "A"}
EAST = {"field": "region", "op": "eq", "value": "East"}


@dataclass
class World:
    alice: int  # the owner
    bob: int  # the rule's target: the closers
    customer: int
    rule: int


@pytest.fixture
def rulebook() -> RuleBook:
    return RuleBook()


def _world(uow: FakeUnitOfWork, clock: FixedClock, **reroute: Any) -> World:
    alice, bob = a_rep(uow, clock, "Alice"), a_rep(uow, clock, "Bob")
    body = {
        "name": "Hot leads to the closers",
        "conditions": EAST,
        "target": {"kind": "reps", "rep_ids": [bob.id]},
        "reroute": {"when": HOT, "min_days": 7, **reroute},
    }
    rule = in_transaction(
        uow, lambda: create_rule(uow=uow, fields=body, actor=SYSTEM, now=clock.now())
    )
    customer = a_customer(uow, clock, "Li Lei", region="East", level="B")
    assigned(uow, clock, customer, alice)
    assert alice.id and bob.id and customer.id and rule.id
    return World(alice.id, bob.id, customer.id, rule.id)


@pytest.fixture
def world(uow: FakeUnitOfWork, clock: FixedClock) -> World:
    return _world(uow, clock)


def _update(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    rulebook: RuleBook,
    world: World,
    actor: Actor = SYSTEM,
    **fields: object,
) -> Rerouted:
    def work() -> Rerouted:
        _, done = update_customer_and_reroute(
            uow=uow, rulebook=rulebook, customer_id=world.customer, fields=fields,
            actor=actor, now=clock.now(), rng=Random(1),
        )  # fmt: skip
        return done

    return in_transaction(uow, work)


def _records(uow: FakeUnitOfWork, world: World) -> list[Any]:
    return uow.assignments.for_customer(world.customer)


def test_crossing_into_the_trigger_routes_the_customer_again_and_says_why(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: World
) -> None:
    clock.advance(days=1)
    done = _update(uow, clock, rulebook, world, level="A")

    record = done.record
    assert record is not None and done.rule_id == world.rule
    assert (record.method, record.from_rep_id, record.to_rep_id) == (
        AssignMethod.reroute, world.alice, world.bob,
    )  # fmt: skip
    assert record.rule_id == world.rule and record.arm is None
    trigger = record.explanation["reroute"]
    assert trigger["before"] == {"level": "B"} and trigger["after"] == {"level": "A"}
    assert trigger["when"] == "level = A" and "Hot leads" in (record.reason or "")
    customer = uow.customers.get(world.customer)
    assert customer is not None
    assert (customer.owner_id, customer.rerouted_at) == (world.bob, clock.now())
    # The same owner change event as a transfer: notifications and webhooks follow it.
    events = [e for e in uow._store.outbox_events if e.payload.get("method") == "reroute"]
    assert [e.type for e in events] == [EventType.reassigned]


def test_only_a_crossing_fires_saving_again_changes_nothing(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: World
) -> None:
    _update(uow, clock, rulebook, world, level="A")
    clock.advance(days=30)

    again = _update(uow, clock, rulebook, world, level="A", city="Shanghai")

    assert again == Rerouted()
    assert [r.method for r in _records(uow, world)] == [AssignMethod.manual, AssignMethod.reroute]


def test_at_most_once_per_min_days_and_never_to_the_same_owner(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: World
) -> None:
    _update(uow, clock, rulebook, world, level="A")
    clock.advance(days=2)
    _update(uow, clock, rulebook, world, level="B")
    assigned(uow, clock, uow.customers.get(world.customer), uow.reps.get(world.alice),  # type: ignore[arg-type]
             reason="back to Alice")  # fmt: skip

    too_soon = _update(uow, clock, rulebook, world, level="A")
    assert too_soon.skipped == "min_days" and too_soon.record is None

    clock.advance(days=6)
    _update(uow, clock, rulebook, world, level="B")
    after_a_week = _update(uow, clock, rulebook, world, level="A")
    assert after_a_week.record is not None and after_a_week.record.to_rep_id == world.bob

    clock.advance(days=8)
    _update(uow, clock, rulebook, world, level="B")
    same = _update(uow, clock, rulebook, world, level="A")
    assert same.skipped == "same_owner"
    methods = [r.method for r in _records(uow, world)]
    assert methods.count(AssignMethod.reroute) == 2


def test_never_away_from_an_owner_inside_their_protection(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook
) -> None:
    in_transaction(
        uow,
        lambda: set_terms(
            uow=uow, key="public", fields={"protection_days": 10}, actor=SYSTEM, now=clock.now()
        ),
    )
    world = _world(uow, clock)
    clock.advance(days=3)

    done = _update(uow, clock, rulebook, world, level="A")

    assert done.skipped == "protected"
    assert uow.customers.get(world.customer).owner_id == world.alice  # type: ignore[union-attr]
    clock.advance(days=10)
    _update(uow, clock, rulebook, world, level="B")
    assert _update(uow, clock, rulebook, world, level="A").record is not None


def test_a_customer_the_rule_does_not_match_stays_put(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: World
) -> None:
    done = _update(uow, clock, rulebook, world, level="A", region="West")

    assert done == Rerouted()
    assert uow.customers.get(world.customer).owner_id == world.alice  # type: ignore[union-attr]


def test_a_stage_change_can_fire_a_trigger(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook
) -> None:
    world = _world(uow, clock, when={"field": "stage", "op": "eq", "value": "qualified"})

    def work() -> Rerouted:
        _, done = change_stage_and_reroute(
            uow=uow, rulebook=rulebook, customer_id=world.customer, to="qualified",
            reason=None, actor=SYSTEM, now=clock.now(), rng=Random(1),
        )  # fmt: skip
        return done

    done = in_transaction(uow, work)

    assert done.record is not None and done.record.to_rep_id == world.bob
    assert done.record.explanation["reroute"]["before"] == {"stage": "new"}


def test_rescoring_calls_it_with_the_customer_as_it_was(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook
) -> None:
    world = _world(uow, clock, when={"field": "win_probability", "op": "gte", "value": 0.6})

    def rescore() -> Rerouted:
        customer = uow.customers.get(world.customer, lock=True)
        assert customer is not None
        before = snapshot(customer)
        customer.win_probability, customer.grade = 0.72, "A"
        return reroute_on_change(
            uow=uow, rulebook=rulebook, before=before, customer=customer, actor=SYSTEM,
            now=clock.now(), rng=Random(1),
        )  # fmt: skip

    done = in_transaction(uow, rescore)

    assert done.record is not None and done.record.to_rep_id == world.bob
    assert done.record.explanation["reroute"]["after"] == {"win_probability": 0.72}


def test_the_rescore_catch_up_reroutes_the_customers_a_new_model_lifts_over_the_trigger(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook
) -> None:
    world = _world(uow, clock, when={"field": "win_probability", "op": "gte", "value": 0.6})
    cold = a_customer(uow, clock, "Han Meimei", region="West", level="B")  # the rule's not
    assigned(uow, clock, cold, uow.reps.get(world.alice))

    def activate_a_model() -> None:
        optimist = {"algorithm": "prior", "p": 0.7}
        model = ScoreModel(ModelKind.score, 1, "optimist", optimist, created_at=clock.now())
        uow.score_models.add(model)
        uow.score_models.activate(model, at=clock.now())

    in_transaction(uow, activate_a_model)
    clock.advance(minutes=5)

    looked, changed = rescore_stale(
        uow_factory=lambda: uow, now=clock.now,
        on_change=on_rescore(rulebook=rulebook, rng=lambda: Random(1), actor=SYSTEM),
    )  # fmt: skip

    with uow:
        lifted, other = uow.customers.get(world.customer), uow.customers.get(cold.id or 0)
        records = _records(uow, world)
    assert (looked, changed) == (2, 2)
    assert lifted is not None and lifted.owner_id == world.bob
    assert records[-1].method is AssignMethod.reroute
    assert records[-1].explanation["reroute"]["before"] == {"win_probability": None}
    assert other is not None and other.owner_id == world.alice  # East's rule only


def test_a_trigger_naming_a_removed_custom_field_never_blocks_an_edit(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    in_transaction(
        uow,
        lambda: uow.custom_fields.add(CustomField(key="tier", label="Tier", kind=FieldKind.text)),
    )
    world = _world(uow, clock, when={"field": "custom.tier", "op": "eq", "value": "gold"})
    field = next(iter(uow._store.custom_fields))
    uow._store.custom_fields.rows.pop(field.id)  # gone since the rule was saved

    done = _update(uow, clock, RuleBook(), world, level="A", city="Shanghai")

    assert done == Rerouted()
    assert uow.customers.get(world.customer).city == "Shanghai"  # type: ignore[union-attr]
