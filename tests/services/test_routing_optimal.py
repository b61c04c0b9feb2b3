"""batch_optimal through the services, on the fakes: a routed batch solved together and
recorded like any other, and redistributing a pool (dry run first) under a rule.

Uses the organisation of ``test_routing.py`` (Alice and Bob in East; Carol, one open
customer at most, and Dan in West) and its helpers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from random import Random
from typing import Any

import pytest

from fenpei.domain.errors import PermissionDenied, ValidationFailed
from fenpei.domain.scoring import ModelKind, ScoreModel
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.engine.scoring import loading
from fenpei.services import org
from fenpei.services.routing_batch import route_queued
from fenpei.services.routing_optimal import redistribute_pool
from fenpei.services.rulebook import RuleBook
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services import test_routing
from tests.services._build import refused
from tests.services.test_routing import Org, add_rule, arrive, stored
from tests.services.test_routing_batch import new_customers, owners, routed_in_batches
from tests.unit._affinity import FixedAffinity

world = test_routing.world
rulebook = test_routing.rulebook
MANAGER = Actor("boss", Role.manager)


def _table(params: Mapping[str, Any]) -> FixedAffinity:
    """A test algorithm: p by rep id from the params, the same for every customer."""
    by_rep = {int(k): float(v) for k, v in params["p"].items()}
    return FixedAffinity(of=lambda _customer, rep_id: by_rep.get(rep_id, 0.0))


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(loading.ALGORITHMS, "test_table", _table)
    yield


def activate(uow: FakeUnitOfWork, clock: FixedClock, p: Mapping[int, float]) -> None:
    def save() -> None:
        version = ScoreModel(
            kind=ModelKind.affinity,
            version=1,
            name="t",
            params={"algorithm": "test_table", "p": {str(k): v for k, v in p.items()}},
        )
        uow.score_models.add(version)
        uow.score_models.activate(version, at=clock.now())

    in_transaction(uow, save)


def _east_optimal(uow: FakeUnitOfWork, clock: FixedClock, world: Org, **options: Any) -> int:
    return add_rule(
        uow,
        clock,
        conditions=test_routing.EAST,
        strategy="batch_optimal",
        strategy_options=options,
        target={"kind": "team", "team_id": world.east},
    )


def test_a_routed_batch_is_solved_together_and_recorded_like_any_other(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org, model: None
) -> None:
    rule_id = _east_optimal(uow, clock, world, max_per_rep=2)
    activate(uow, clock, {world.alice: 0.6, world.bob: 0.3})
    batch = new_customers(uow, clock, "East", "East", "East", "East", "East")
    clock.advance(minutes=1)

    outcomes = routed_in_batches(uow, clock, rulebook, batch)

    # Alice is the likelier winner but the rule allows two each per batch; the fifth
    # customer has nobody left and falls to the rules below (the default: the pool).
    assert outcomes == {"assigned": 4, "pool": 1, "queued": 0}
    assert sorted(o or 0 for o in owners(uow, batch)) == sorted(
        [world.alice, world.alice, world.bob, world.bob, 0]
    )
    records = [uow.assignments.for_customer(i)[0] for i in batch]
    given = [r for r in records if r.to_rep_id is not None]
    assert {(r.rule_id, r.strategy) for r in given} == {(rule_id, "batch_optimal")}
    assert {r.explanation["reason_code"] for r in given} == {"batch_optimal"}
    to_bob = next(r for r in given if r.to_rep_id == world.bob)
    assert to_bob.explanation["reason_params"]["why"] == "bound"
    assert "Alice (p 0.60) had reached the rule's limit per rep" in str(to_bob.reason)


def _pooled(uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, n: int) -> list[int]:
    """``n`` customers the default rule parks in the public pool."""
    return [arrive(uow, clock, rulebook, region="North")[0].id or 0 for _ in range(n)]


def _redistribute(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    rulebook: RuleBook,
    rule_id: int,
    *,
    actor: Actor = SYSTEM,
    dry_run: bool,
) -> Any:
    return in_transaction(
        uow,
        lambda: redistribute_pool(
            uow=uow,
            rulebook=rulebook,
            pool="public",
            rule_id=rule_id,
            actor=actor,
            now=clock.now(),
            rng=Random(0),
            dry_run=dry_run,
        ),
    )


def test_a_pool_is_previewed_then_redistributed_within_capacity(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org, model: None
) -> None:
    west = add_rule(
        uow, clock, conditions=test_routing.WEST, target={"kind": "team", "team_id": world.west}
    )
    activate(uow, clock, {world.carol: 0.9, world.dan: 0.2})
    waiting = _pooled(uow, clock, rulebook, 3)
    clock.advance(timedelta(hours=1))

    preview = _redistribute(uow, clock, rulebook, west, dry_run=True)

    assert preview.dry_run and preview.considered == 3
    assert preview.placed == {world.carol: 1, world.dan: 2}  # Carol holds one at most
    assert preview.staying == 0
    assert preview.expected_wins == pytest.approx(0.9 + 0.2 + 0.2)
    assert owners(uow, waiting) == [None, None, None]  # a dry run changes nothing
    assert all(len(uow.assignments.for_customer(i)) == 1 for i in waiting)

    done = _redistribute(uow, clock, rulebook, west, dry_run=False)

    assert done.placed == preview.placed
    assert sorted(o or 0 for o in owners(uow, waiting)) == sorted(
        [world.carol, world.dan, world.dan]
    )
    assert all(stored(uow, i).pool is None for i in waiting)
    latest = [uow.assignments.for_customer(i)[-1] for i in waiting]
    assert {(r.rule_id, r.strategy, r.actor) for r in latest} == {(west, "batch_optimal", "system")}
    assert [test_routing.actions(uow, i)[-1] for i in waiting] == ["assign.rule"] * 3


def test_customers_nobody_has_room_for_stay_in_the_pool(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org, model: None
) -> None:
    only_carol = add_rule(
        uow, clock, conditions=test_routing.WEST, target={"kind": "reps", "rep_ids": [world.carol]}
    )
    activate(uow, clock, {world.carol: 0.9})
    waiting = _pooled(uow, clock, rulebook, 3)

    done = _redistribute(uow, clock, rulebook, only_carol, dry_run=False)

    assert (done.placed, done.staying) == ({world.carol: 1}, 2)
    assert sorted(stored(uow, i).pool or "-" for i in waiting) == ["-", "public", "public"]
    assert sorted(len(uow.assignments.for_customer(i)) for i in waiting) == [1, 1, 2]


def test_with_no_model_the_pool_is_spread_by_load_and_says_so(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    east = _east_optimal(uow, clock, world)
    _pooled(uow, clock, rulebook, 4)

    preview = _redistribute(uow, clock, rulebook, east, dry_run=True)

    assert preview.placed == {world.alice: 2, world.bob: 2}
    assert preview.expected_wins is None
    assert {d.reason_code for _, d in preview.decisions} == {"predicted_conversion.no_model"}


def test_bad_requests_are_refused_and_change_nothing(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    east = _east_optimal(uow, clock, world)
    waiting = _pooled(uow, clock, rulebook, 1)
    rep = Actor("alice", Role.rep, rep_id=world.alice)

    def attempt(rule_id: int, actor: Actor = SYSTEM) -> object:
        return redistribute_pool(
            uow=uow,
            rulebook=rulebook,
            pool="public",
            rule_id=rule_id,
            actor=actor,
            now=clock.now(),
            rng=Random(0),
            dry_run=False,
        )

    unknown = refused(uow, ValidationFailed, lambda: attempt(999))
    to_pool = refused(uow, ValidationFailed, lambda: attempt(world.default_rule))
    refused(uow, PermissionDenied, lambda: attempt(east, rep))

    assert [e.field for e in unknown.errors] == ["rule_id"]
    assert "pick a rule that names reps" in to_pool.errors[0].message
    assert owners(uow, waiting) == [None]


def test_the_queue_job_solves_the_waiting_customers_together_when_room_frees(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org, model: None
) -> None:
    only_carol = add_rule(
        uow,
        clock,
        conditions=test_routing.WEST,
        strategy="batch_optimal",
        fallback="queue",
        target={"kind": "reps", "rep_ids": [world.carol, world.dan]},
    )
    in_transaction(
        uow,
        lambda: org.update_rep(
            uow=uow, rep_id=world.dan, actor=SYSTEM, now=clock.now(), fields={"max_open": 0}
        ),
    )
    activate(uow, clock, {world.carol: 0.2, world.dan: 0.7})
    waiting = new_customers(uow, clock, "West", "West", "West")
    routed_in_batches(uow, clock, rulebook, waiting)
    queued_before = [stored(uow, i).queued_at is not None for i in waiting]
    in_transaction(
        uow,
        lambda: org.update_rep(
            uow=uow, rep_id=world.dan, actor=SYSTEM, now=clock.now(), fields={"max_open": 1}
        ),
    )
    clock.advance(minutes=5)

    outcomes = route_queued(
        uow_factory=lambda: uow, rulebook=rulebook, actor=SYSTEM, now=clock.now, rng=Random(1)
    )

    assert sorted(queued_before) == [False, True, True]  # Carol took one, two waited
    assert outcomes == {"assigned": 1, "pool": 0, "queued": 1}
    assert sorted(o or 0 for o in owners(uow, waiting)) == sorted([0, world.carol, world.dan])
    given = [r for i in waiting for r in uow.assignments.for_customer(i)]
    assert {(r.rule_id, r.strategy) for r in given} == {(only_carol, "batch_optimal")}
