"""Routing many customers on the fakes: what a batch decides and saves, how the batches
are cut and counted, and the one-by-one fallback when a batch meets a change.

Uses the organisation of ``test_routing.py`` (Alice and Bob in East; Carol, one open
customer at most, and Dan, retail, in West) and its helpers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from random import Random
from typing import Any

import pytest

from fenpei.domain.errors import Conflict
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import customers, org
from fenpei.services.routing_batch import route_batch, route_customers, route_queued
from fenpei.services.rulebook import RuleBook
from tests.fakes import FakeUnitOfWork, FixedClock, Store, in_transaction
from tests.services import test_routing
from tests.services._build import a_customer, a_rep, assigned
from tests.services.test_routing import EAST, WEST, Org, add_rule, arrive, route, stored

# The organisation and the rule book of test_routing.py, as fixtures here too.
world = test_routing.world
rulebook = test_routing.rulebook

IMPORTER = Actor("importer", Role.admin)


def routed_in_batches(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    rulebook: RuleBook,
    customer_ids: Sequence[int],
    *,
    rng: Random | None = None,
    seen: list[tuple[int, int]] | None = None,
    **options: Any,
) -> dict[str, int]:
    return route_customers(
        uow_factory=lambda: uow,
        rulebook=rulebook,
        customer_ids=customer_ids,
        actor=IMPORTER,
        now=clock.now,
        rng=rng or Random(1),
        progress=None if seen is None else lambda done, total: seen.append((done, total)),
        **options,
    )


def new_customers(uow: FakeUnitOfWork, clock: FixedClock, *regions: str) -> list[int]:
    """Customers from these regions, created in one commit, oldest first."""
    return in_transaction(
        uow,
        lambda: [
            customers.create_customer(
                uow=uow,
                fields={"name": f"Lead {i}", "region": region},
                actor=SYSTEM,
                now=clock.now(),
            ).id
            or 0
            for i, region in enumerate(regions)
        ],
    )


def owners(uow: FakeUnitOfWork, customer_ids: Sequence[int]) -> list[int | None]:
    return [stored(uow, i).owner_id for i in customer_ids]


def east_rule(uow: FakeUnitOfWork, clock: FixedClock, world: Org, **fields: Any) -> int:
    return add_rule(
        uow, clock, conditions=EAST, target={"kind": "team", "team_id": world.east}, **fields
    )


# What a batch decides and saves --------------------------------------------------------


def test_a_batch_continues_each_rules_cursor_and_saves_where_it_stopped(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    rule_id = east_rule(uow, clock, world)
    arrive(uow, clock, rulebook, region="East")  # to Alice, on its own
    batch = new_customers(uow, clock, "East", "East", "East")
    clock.advance(minutes=1)

    outcomes = routed_in_batches(uow, clock, rulebook, batch)

    assert outcomes == {"assigned": 3, "pool": 0, "queued": 0}
    assert owners(uow, batch) == [world.bob, world.alice, world.bob]
    saved = uow.rules.lock_state(rule_id)
    assert saved is not None
    assert (saved.state, saved.updated_at) == (
        {"last_rep_id": world.bob, "last_rep_name": "Bob"},
        clock.now(),
    )
    records = [uow.assignments.for_customer(i)[0] for i in batch]
    assert {(r.actor, r.rule_id, r.at) for r in records} == {("importer", rule_id, clock.now())}


def test_a_customer_sent_to_the_pool_in_a_batch_leaves_the_rules_cursor_alone(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    rule_id = add_rule(
        uow,
        clock,
        conditions=WEST,
        target={"kind": "reps", "rep_ids": [world.carol]},
        fallback="team_pool",
        fallback_pool="West overflow",
    )
    batch = new_customers(uow, clock, "West", "West")  # Carol takes one at most

    outcomes = routed_in_batches(uow, clock, rulebook, batch)

    assert outcomes == {"assigned": 1, "pool": 1, "queued": 0}
    assert stored(uow, batch[1]).pool == "West overflow"
    assert uow.rules.states()[rule_id] == {"last_rep_id": world.carol, "last_rep_name": "Carol"}


def test_a_batch_reads_the_load_of_every_rep_not_only_those_of_its_first_customer(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    east_rule(uow, clock, world)
    add_rule(
        uow,
        clock,
        conditions=WEST,
        target={"kind": "reps", "rep_ids": [world.carol]},
        fallback="queue",
    )
    carol = uow.reps.get(world.carol)
    assert carol is not None
    assigned(uow, clock, a_customer(uow, clock), carol)  # Carol is full
    batch = new_customers(uow, clock, "East", "West")

    outcomes = routed_in_batches(uow, clock, rulebook, batch)

    assert outcomes == {"assigned": 1, "pool": 0, "queued": 1}
    assert owners(uow, batch) == [world.alice, None]


def test_a_batch_of_one_leaves_out_a_rep_on_leave(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    east_rule(uow, clock, world)
    in_transaction(
        uow,
        lambda: org.add_leave(
            uow=uow,
            rep_id=world.alice,
            starts_at=clock.now(),
            ends_at=clock.now() + timedelta(hours=2),
            actor=SYSTEM,
            now=clock.now(),
        ),
    )
    [lead] = new_customers(uow, clock, "East")

    with uow:
        [decision] = route_batch(
            uow=uow,
            rulebook=rulebook,
            customer_ids=[lead],
            actor=IMPORTER,
            now=clock.now(),
            rng=Random(1),
        )
        uow.commit()

    assert decision.rep_id == world.bob
    assert [(e.rep_name, e.reason) for e in decision.exclusions] == [
        ("Alice", "on leave until 2026-11-02 19:30")  # Shanghai time
    ]


def test_a_rule_whose_saved_state_is_gone_routes_a_batch_from_a_fresh_start(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    rule_id = east_rule(uow, clock, world)
    batch = new_customers(uow, clock, "East", "East")

    def state_gone(store: Store, rule: int) -> None:
        del store.routing_state.rows[rule]

    uow.meanwhile("routing_state", state_gone, row_id=rule_id)
    outcomes = routed_in_batches(uow, clock, rulebook, batch)

    assert outcomes == {"assigned": 2, "pool": 0, "queued": 0}
    assert owners(uow, batch) == [world.alice, world.bob]
    assert rule_id not in uow.rules.states()


def test_with_an_account_owner_rule_a_batch_is_routed_customer_by_customer(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(uow, clock, name="Accounts", priority=1, target={"kind": "account_owner"})
    east_rule(uow, clock, world, name="East", priority=2, strategy="random")
    dan = uow.reps.get(world.dan)
    assert dan is not None
    assigned(uow, clock, a_customer(uow, clock, company_name="Acme Ltd"), dan)
    returning = a_customer(uow, clock, company_name="ACME LTD", region="East").id or 0
    stranger = a_customer(uow, clock, company_name="Other", region="East").id or 0
    commits = uow.commits

    outcomes = routed_in_batches(uow, clock, rulebook, [returning, stranger])

    assert outcomes == {"assigned": 2, "pool": 0, "queued": 0}
    assert uow.commits == commits + 1, "still one transaction"
    assert stored(uow, returning).owner_id == world.dan
    assert stored(uow, stranger).owner_id in {world.alice, world.bob}
    assert {uow.assignments.for_customer(i)[0].actor for i in (returning, stranger)} == {"importer"}


def test_a_batch_with_a_random_rule_draws_from_the_generator_it_is_given(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    east_rule(uow, clock, world, strategy="random")
    batch = new_customers(uow, clock, *["East"] * 8)

    routed_in_batches(uow, clock, rulebook, batch, rng=Random(3))

    assert set(owners(uow, batch)) == {world.alice, world.bob}


def test_a_batch_checks_the_configuration_before_and_after_its_locks_only(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    rulebook: RuleBook,
    world: Org,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    east_rule(uow, clock, world)
    batch = new_customers(uow, clock, "East", "East")
    stamps: list[Any] = []
    real = uow.routing.config_stamp

    def spy(**kwargs: Any) -> str:
        stamps.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(uow.routing, "config_stamp", spy)

    outcomes = routed_in_batches(uow, clock, rulebook, batch)

    assert outcomes == {"assigned": 2, "pool": 0, "queued": 0}
    assert len(stamps) == 2


def test_a_batch_refuses_to_route_when_the_configuration_changed_under_its_locks(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    rule_id = east_rule(uow, clock, world)
    [lead] = new_customers(uow, clock, "East")

    def alice_away(store: Store, _: int) -> None:
        store.reps.rows[world.alice].away = True

    uow.meanwhile("routing_state", alice_away, row_id=rule_id)
    with (
        uow,
        pytest.raises(Conflict, match=r"^the routing configuration changed while routing a batch"),
    ):
        route_batch(
            uow=uow,
            rulebook=rulebook,
            customer_ids=[lead],
            actor=IMPORTER,
            now=clock.now(),
            rng=Random(1),
        )


# Batches, progress and the one-by-one fallback -----------------------------------------


def test_customers_are_routed_500_to_a_transaction_and_progress_counts_them_all(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    east_rule(uow, clock, world)
    batch = new_customers(uow, clock, *["East"] * 501)
    commits = uow.commits
    seen: list[tuple[int, int]] = []

    outcomes = routed_in_batches(uow, clock, rulebook, batch, seen=seen)

    assert outcomes == {"assigned": 501, "pool": 0, "queued": 0}
    assert uow.commits == commits + 2
    assert seen == [(500, 501), (501, 501)]


def test_a_batch_that_meets_a_change_is_routed_one_by_one_skipping_customers_taken_or_deleted(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    rule_id = east_rule(uow, clock, world, strategy="random")
    first, taken, gone, last = new_customers(uow, clock, "East", "East", "East", "East")
    clock.advance(minutes=1)

    def taken_by_dan(store: Store, customer_id: int) -> None:
        store.customers.rows[customer_id].owner_id = world.dan

    def deleted(store: Store, customer_id: int) -> None:
        store.customers.rows[customer_id].deleted_at = clock.now()

    def bob_away(store: Store, _: int) -> None:
        store.reps.rows[world.bob].away = True

    uow.meanwhile("customer", taken_by_dan, row_id=taken)
    uow.meanwhile("customer", deleted, row_id=gone)
    uow.meanwhile("routing_state", bob_away, row_id=rule_id)  # the batch gives up
    commits = uow.commits
    seen: list[tuple[int, int]] = []

    outcomes = routed_in_batches(uow, clock, rulebook, [first, taken, gone, last], seen=seen)

    assert outcomes == {"assigned": 2, "pool": 0, "queued": 0}
    assert owners(uow, [first, taken, last]) == [world.alice, world.dan, world.alice]
    assert stored(uow, gone).queued_at is None, "the deleted customer was left alone"
    assert uow.commits == commits + 2, "one transaction per customer routed"
    assert seen == [(4, 4)]
    records = [uow.assignments.for_customer(i)[-1] for i in (first, last)]
    assert [(r.actor, r.at, r.to_rep_id) for r in records] == [
        ("importer", clock.now(), world.alice)
    ] * 2


def test_the_queue_job_retries_at_most_10000_customers_a_run(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    rulebook: RuleBook,
    world: Org,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[int] = []
    real = uow.routing.queued_customer_ids

    def spy(*, limit: int) -> list[int]:
        asked.append(limit)
        return real(limit=limit)

    monkeypatch.setattr(uow.routing, "queued_customer_ids", spy)

    route_queued(
        uow_factory=lambda: uow, rulebook=rulebook, actor=SYSTEM, now=clock.now, rng=Random(1)
    )

    assert asked == [10_000]


def test_the_queue_job_can_place_customers_by_random_pick(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook
) -> None:
    waiting = new_customers(uow, clock, *["East"] * 8)
    for customer_id in waiting:
        route(uow, clock, rulebook, customer_id)  # no rule yet: queued
    team = in_transaction(
        uow, lambda: org.create_team(uow=uow, name="East team", actor=SYSTEM, now=clock.now())
    )
    reps = {a_rep(uow, clock, name, team_id=team.id).id for name in ("Alice", "Bob")}
    add_rule(
        uow, clock, conditions=EAST, target={"kind": "team", "team_id": team.id}, strategy="random"
    )

    outcomes = route_queued(
        uow_factory=lambda: uow, rulebook=rulebook, actor=SYSTEM, now=clock.now, rng=Random(3)
    )

    assert outcomes == {"assigned": 8, "pool": 0, "queued": 0}
    assert set(owners(uow, waiting)) == reps
