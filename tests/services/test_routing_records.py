"""What routing writes beside the outcome, and what each decision is made from.

The history row and the audit entry of each outcome (who acted, from whom, why, cut to
the columns' sizes), a queued customer's reason kept current, the configuration and the
rep's row read again where they may have changed, and what a dry run decides from.
``test_routing.py`` holds the outcomes themselves; this file uses its organisation
(Alice and Bob in East; Carol, one open customer at most, and Dan, retail, in West) and
its helpers."""

from __future__ import annotations

from datetime import timedelta
from random import Random
from typing import Any

import pytest

from fenpei.domain.audit import AuditEntry
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.engine.explain import explain
from fenpei.engine.model import Decision, Outcome
from fenpei.services import org
from fenpei.services.intake import create_and_route
from fenpei.services.routing import preview, record_decision, route_customer
from fenpei.services.rulebook import RuleBook
from fenpei.services.rules import delete_rule
from tests.fakes import FakeUnitOfWork, FixedClock, Store, in_transaction
from tests.services import test_routing
from tests.services._build import a_customer, a_rep, assigned
from tests.services.test_routing import (
    EAST,
    WEST,
    Org,
    actions,
    add_rule,
    arrive,
    held_by,
    stored,
)

# The organisation and the rule book of test_routing.py, as fixtures here too.
world = test_routing.world
rulebook = test_routing.rulebook

QUEUE_JOB = Actor("queue job", Role.admin)


def routed(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    rulebook: RuleBook,
    customer_id: int | None,
    *,
    actor: Actor = SYSTEM,
) -> Decision:
    """Route in a committed block."""
    assert customer_id is not None
    return in_transaction(
        uow,
        lambda: route_customer(
            uow=uow,
            rulebook=rulebook,
            customer_id=customer_id,
            actor=actor,
            now=clock.now(),
            rng=Random(7),
        ),
    )


def latest_audit(uow: FakeUnitOfWork, customer_id: int | None) -> AuditEntry:
    return uow.audit.find(object_type="customer", object_id=str(customer_id))[0]


def calls_to(monkeypatch: pytest.MonkeyPatch, uow: FakeUnitOfWork, name: str) -> list[Any]:
    """The keyword arguments of every later call to ``uow.routing.<name>``, in order."""
    calls: list[Any] = []
    real = getattr(uow.routing, name)

    def spy(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(uow.routing, name, spy)
    return calls


def on_leave(uow: FakeUnitOfWork, clock: FixedClock, rep_id: int, starts_in: timedelta) -> None:
    starts = clock.now() + starts_in
    in_transaction(
        uow,
        lambda: org.add_leave(
            uow=uow,
            rep_id=rep_id,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            actor=SYSTEM,
            now=clock.now(),
        ),
    )


def previewing(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, rng: Random, **fields: Any
) -> Decision:
    with uow:
        return preview(
            uow=uow, rulebook=rulebook, fields={"name": "X", **fields}, now=clock.now(), rng=rng
        )


# The history row and the audit entry -------------------------------------------------


def test_a_pool_record_names_the_actor_and_gives_the_explanation_as_its_reason(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    customer = a_customer(uow, clock, region="North")
    created = clock.now()
    clock.advance(minutes=5)

    decision = routed(uow, clock, rulebook, customer.id, actor=QUEUE_JOB)

    assert decision.outcome is Outcome.pool
    [record] = uow.assignments.for_customer(customer.id or 0)
    assert (record.from_rep_id, record.to_rep_id, record.rule_id, record.at) == (
        None,
        None,
        world.default_rule,
        clock.now(),
    )
    assert record.actor == "queue job"
    assert record.reason == explain(decision) == record.explanation["text"]
    entry = latest_audit(uow, customer.id)
    assert (entry.action, entry.actor) == ("route.pool", "queue job")
    assert entry.before == {"pool": None, "updated_at": created.isoformat()}
    assert entry.after == {"pool": "public", "updated_at": clock.now().isoformat()}


def test_queueing_is_audited_with_the_fields_it_changed_and_their_old_values(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook
) -> None:
    customer = a_customer(uow, clock)
    created = clock.now()
    now = clock.advance(minutes=5).isoformat()

    routed(uow, clock, rulebook, customer.id)

    entry = latest_audit(uow, customer.id)
    assert entry.action == "route.queue"
    assert entry.before == {
        "queue_reason": None,
        "queued_at": None,
        "updated_at": created.isoformat(),
    }
    assert entry.after == {
        "queue_reason": "no rule could place the customer",
        "queued_at": now,
        "updated_at": now,
    }


def test_a_customer_queued_again_for_another_reason_gets_the_new_reason_and_keeps_its_place(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook
) -> None:
    hold = add_rule(uow, clock, name="Hold", target={"kind": "queue"})
    customer = a_customer(uow, clock)
    first = routed(uow, clock, rulebook, customer.id)
    queued_at = clock.now()
    clock.advance(hours=1)
    in_transaction(uow, lambda: delete_rule(uow=uow, rule_id=hold, actor=SYSTEM, now=clock.now()))

    again = routed(uow, clock, rulebook, customer.id)

    assert first.reason == "rule 'Hold' holds it in the queue"
    saved = stored(uow, customer.id)
    assert saved.queue_reason == again.reason == "no rule could place the customer"
    assert saved.queued_at == queued_at, "still waiting since it was first queued"
    assert actions(uow, customer.id) == ["create", "route.queue", "route.queue"]
    assert latest_audit(uow, customer.id).before == {
        "queue_reason": first.reason,
        "updated_at": queued_at.isoformat(),
    }


def test_a_long_explanation_is_cut_to_1000_characters_in_the_record_and_kept_whole_beside_it(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook
) -> None:
    team = in_transaction(
        uow, lambda: org.create_team(uow=uow, name="Big", actor=SYSTEM, now=clock.now())
    )
    for i in range(20):
        name = f"Away representative number {i:02} of the northern regional sales team"
        a_rep(uow, clock, name, team_id=team.id, away=True)
    zhou = a_rep(uow, clock, "Zhou", team_id=team.id)
    add_rule(uow, clock, target={"kind": "team", "team_id": team.id})
    customer = a_customer(uow, clock)

    decision = routed(uow, clock, rulebook, customer.id)

    text = explain(decision)
    assert decision.rep_id == zhou.id and len(text) > 1000
    [record] = uow.assignments.for_customer(customer.id or 0)
    assert record.reason == text[:1000]
    assert record.explanation["text"] == text


def test_a_queue_reason_longer_than_its_column_is_cut_to_500_characters(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    customer = a_customer(uow, clock)
    reason = "rule 'Hold': " + "still waiting; " * 40
    decision = Decision(outcome=Outcome.queued, reason=reason)

    in_transaction(
        uow,
        lambda: record_decision(uow, stored(uow, customer.id), decision, SYSTEM, clock.now()),
    )

    assert len(reason) > 500
    assert stored(uow, customer.id).queue_reason == reason[:500]


def test_a_pool_decision_for_an_owned_customer_records_whom_it_was_taken_from(
    uow: FakeUnitOfWork, clock: FixedClock, world: Org
) -> None:
    customer = a_customer(uow, clock)
    alice = uow.reps.get(world.alice)
    assert alice is not None
    assigned(uow, clock, customer, alice)
    decision = Decision(
        outcome=Outcome.pool,
        reason="rule 'Default' sends it to pool public",
        rule_id=world.default_rule,
        pool="public",
    )

    record = in_transaction(
        uow,
        lambda: record_decision(uow, stored(uow, customer.id), decision, SYSTEM, clock.now()),
    )

    assert record is not None
    assert (record.from_rep_id, record.to_rep_id) == (world.alice, None)
    assert (stored(uow, customer.id).owner_id, stored(uow, customer.id).pool) == (None, "public")


def test_recording_an_assignment_refuses_any_rep_but_the_chosen_one(
    uow: FakeUnitOfWork, clock: FixedClock, world: Org
) -> None:
    customer = a_customer(uow, clock)
    decision = Decision(outcome=Outcome.assigned, reason="picked", rep_id=world.alice)

    with uow:
        bob = uow.reps.get(world.bob)
        with pytest.raises(AssertionError, match=r"^pass the locked, chosen rep$"):
            record_decision(uow, stored(uow, customer.id), decision, SYSTEM, clock.now(), rep=bob)


# What a decision is made from --------------------------------------------------------


def test_a_customer_created_in_the_same_transaction_is_routed_without_being_locked_again(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(uow, clock, conditions=EAST, target={"kind": "team", "team_id": world.east})

    with uow:
        customer, decision = create_and_route(
            uow=uow,
            rulebook=rulebook,
            fields={"name": "Lead", "region": "East"},
            actor=SYSTEM,
            now=clock.now(),
            rng=Random(1),
        )
        locked = uow.locked
        uow.commit()

    assert decision is not None and decision.rep_id == world.alice
    assert ("customer", customer.id) not in locked


def test_route_customer_refuses_a_created_customer_that_is_not_the_one_named(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook
) -> None:
    other = a_customer(uow, clock, "Other")

    with uow, pytest.raises(AssertionError, match=r"^created is the customer routed$"):
        route_customer(
            uow=uow,
            rulebook=rulebook,
            customer_id=(other.id or 0) + 1,
            actor=SYSTEM,
            now=clock.now(),
            rng=Random(1),
            created=other,
        )


def test_arrival_checks_the_configuration_once_and_again_on_each_retry(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    rulebook: RuleBook,
    world: Org,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_rule(uow, clock, conditions=EAST, target={"kind": "team", "team_id": world.east})
    add_rule(uow, clock, conditions=WEST, target={"kind": "team", "team_id": world.west})
    stamps = calls_to(monkeypatch, uow, "config_stamp")

    arrive(uow, clock, rulebook, region="East")
    at_once = len(stamps)
    # Carol is filled while we wait for her lock: the second attempt reads everything again.
    uow.meanwhile("rep", held_by(world.carol, 900, clock), row_id=world.carol)
    _, retried = arrive(uow, clock, rulebook, region="West")

    assert retried.rep_id == world.dan and uow.savepoint_rollbacks == 1
    assert (at_once, len(stamps) - at_once) == (1, 2)


def test_best_match_gives_a_retail_customer_to_the_rep_who_knows_retail(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(
        uow,
        clock,
        conditions=WEST,
        target={"kind": "team", "team_id": world.west},
        strategy="best_match",
    )

    _, decision = arrive(uow, clock, rulebook, region="West", industry="retail")

    assert decision.rep_id == world.dan


def test_random_pick_draws_from_the_generator_it_is_given(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(
        uow,
        clock,
        conditions=EAST,
        target={"kind": "team", "team_id": world.east},
        strategy="random",
    )
    customer_id = a_customer(uow, clock, region="East").id or 0
    picks = []

    for seed in range(8):
        with uow:  # not committed: each seed routes the same unowned customer
            picks.append(
                route_customer(
                    uow=uow,
                    rulebook=rulebook,
                    customer_id=customer_id,
                    actor=SYSTEM,
                    now=clock.now(),
                    rng=Random(seed),
                ).rep_id
            )

    assert set(picks) == {world.alice, world.bob}


def test_a_rule_whose_saved_state_is_gone_routes_from_a_fresh_start(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    rule_id = add_rule(uow, clock, conditions=EAST, target={"kind": "team", "team_id": world.east})
    customer = a_customer(uow, clock, region="East")

    def state_gone(store: Store, rule: int) -> None:
        del store.routing_state.rows[rule]

    uow.meanwhile("routing_state", state_gone, row_id=rule_id)
    decision = routed(uow, clock, rulebook, customer.id)

    assert (decision.rep_id, decision.state_before) == (world.alice, {})
    assert stored(uow, customer.id).owner_id == world.alice
    assert rule_id not in uow.rules.states()


def test_a_rep_switched_away_while_we_waited_for_their_lock_is_passed_over(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(uow, clock, conditions=WEST, target={"kind": "team", "team_id": world.west})
    customer = a_customer(uow, clock, region="West")

    def away(store: Store, rep_id: int) -> None:
        store.reps.rows[rep_id].away = True

    uow.meanwhile("rep", away, row_id=world.carol)
    decision = routed(uow, clock, rulebook, customer.id)

    assert decision.rep_id == world.dan
    assert ("Carol", "away (manual switch)") in [
        (e.rep_name, e.reason) for e in decision.exclusions
    ]
    assert uow.savepoint_rollbacks == 1


def test_a_rep_who_lost_the_rules_required_skill_while_we_waited_is_passed_over(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    eve = a_rep(uow, clock, "Eve", team_id=world.west, skills={"industries": ["retail"]})
    add_rule(
        uow,
        clock,
        conditions=WEST,
        target={"kind": "team", "team_id": world.west},
        required_skills=["industries:retail"],
    )
    customer = a_customer(uow, clock, region="West")

    def forgot_retail(store: Store, rep_id: int) -> None:
        store.reps.rows[rep_id].skills = {}

    uow.meanwhile("rep", forgot_retail, row_id=world.dan)
    decision = routed(uow, clock, rulebook, customer.id)

    assert decision.rep_id == eve.id
    assert ("Dan", "lacks skill industries:retail") in [
        (e.rep_name, e.reason) for e in decision.exclusions
    ]


def test_a_rep_with_a_leave_booked_for_later_still_receives_customers_now(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(uow, clock, conditions=EAST, target={"kind": "reps", "rep_ids": [world.alice]})
    on_leave(uow, clock, world.alice, starts_in=timedelta(days=1))

    _, decision = arrive(uow, clock, rulebook, region="East")

    assert decision.rep_id == world.alice


def test_the_check_under_the_lock_reads_the_chosen_reps_load_only_if_they_have_a_limit(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    rulebook: RuleBook,
    world: Org,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_rule(uow, clock, conditions=EAST, target={"kind": "team", "team_id": world.east})
    add_rule(uow, clock, conditions=WEST, target={"kind": "reps", "rep_ids": [world.carol]})
    loads = calls_to(monkeypatch, uow, "loads")

    arrive(uow, clock, rulebook, region="East")  # to Alice, who has no limit
    unlimited = [sorted(call.get("rep_ids") or ["every rep"]) for call in loads]
    loads.clear()
    arrive(uow, clock, rulebook, region="West")  # to Carol: one open customer at most
    limited = [sorted(call.get("rep_ids") or ["every rep"]) for call in loads]

    assert unlimited == [sorted([world.alice, world.bob])]  # the decision's read, no more
    assert limited == [[world.carol], [world.carol]]  # the decision's, and Carol's under lock


# What a dry run decides from -----------------------------------------------------------


def test_preview_continues_from_where_the_rules_cursor_stands(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(uow, clock, conditions=EAST, target={"kind": "team", "team_id": world.east})
    arrive(uow, clock, rulebook, region="East")  # to Alice

    decision = previewing(uow, clock, rulebook, Random(1), region="East")

    assert decision.rep_id == world.bob


def test_preview_treats_the_customer_as_created_now(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(
        uow,
        clock,
        conditions={"field": "created_at", "op": "within_days", "value": 1},
        target={"kind": "reps", "rep_ids": [world.dan]},
    )

    decision = previewing(uow, clock, rulebook, Random(1))

    assert decision.rep_id == world.dan


def test_preview_leaves_out_a_rep_on_leave_now(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(uow, clock, conditions=EAST, target={"kind": "team", "team_id": world.east})
    on_leave(uow, clock, world.alice, starts_in=timedelta(0))

    decision = previewing(uow, clock, rulebook, Random(1), region="East")

    assert decision.rep_id == world.bob
    assert [(e.rep_name, e.reason) for e in decision.exclusions] == [
        ("Alice", "on leave until 2026-11-02 19:30")  # Shanghai time
    ]


def test_preview_checks_the_configuration_once(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    rulebook: RuleBook,
    world: Org,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_rule(uow, clock, conditions=EAST, target={"kind": "team", "team_id": world.east})
    stamps = calls_to(monkeypatch, uow, "config_stamp")

    decision = previewing(uow, clock, rulebook, Random(1), region="East")

    assert decision.rep_id == world.alice
    assert len(stamps) == 1


def test_preview_of_a_random_rule_draws_from_the_generator_it_is_given(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(
        uow,
        clock,
        conditions=EAST,
        target={"kind": "team", "team_id": world.east},
        strategy="random",
    )

    picks = {
        previewing(uow, clock, rulebook, Random(seed), region="East").rep_id for seed in range(8)
    }

    assert picks == {world.alice, world.bob}
