"""``route`` beyond the happy paths: account keys, fallbacks' words, the index's count and
what a decision carries, pinned where mutation testing found them unchecked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from random import Random
from typing import Any

from fenpei.domain.customers import Customer
from fenpei.domain.org import Rep
from fenpei.engine.capacity import Usage
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.fields import field_catalog
from fenpei.engine.model import (
    Decision,
    EffectiveWindow,
    Fallback,
    Outcome,
    RepState,
    RoutingRule,
    Target,
    TargetKind,
)
from fenpei.engine.router import AccountIndex, CompiledRule, RoutingContext, match, route

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
CATALOG = field_catalog()
LEAD = Customer(name="Lead", region="East", level="B")


def rule(
    rule_id: int,
    name: str | None = None,
    *,
    conditions: dict[str, Any] | None = None,
    target: Target | None = None,
    **fields: Any,
) -> CompiledRule:
    routing_rule = RoutingRule(
        id=rule_id,
        name=name or f"Rule {rule_id}",
        priority=rule_id * 10,
        conditions=conditions or {},
        target=target or Target(TargetKind.reps, rep_ids=(1,)),
        **fields,
    )
    return CompiledRule(
        routing_rule, compile_conditions(parse_conditions(conditions or {}, CATALOG))
    )


def rep(rep_id: int, name: str, *, open_count: int = 0, **fields: Any) -> RepState:
    return RepState(rep=Rep(name=name, id=rep_id, **fields), usage=Usage(open_count))


ALICE = rep(1, "Alice")
BOB = rep(2, "Bob")
CAROL = rep(3, "Carol")


def run(
    rules: Sequence[CompiledRule],
    reps: Sequence[RepState] = (ALICE, BOB, CAROL),
    customer: Customer = LEAD,
    **extra: Any,
) -> Decision:
    ctx = RoutingContext(rules=rules, reps={s.id: s for s in reps}, **extra)
    return route(customer, ctx, now=NOW, rng=Random(0))


# Account owners ---------------------------------------------------------------------------


def test_a_customer_without_company_email_or_phone_matches_no_account_whatever_its_keys() -> None:
    # An index built from messy data may hold placeholder keys; an absent detail is no key.
    messy = AccountIndex(
        by_company={"": 1, "xxxx": 1, "XXXX": 1, "none": 1},
        by_email_domain={"": 2, "xxxx": 2, "XXXX": 2, "none": 2},
        by_phone={"": 3, "0": 3},
    )

    assert messy.owner_of(Customer(name="Nobody"), ("company", "email_domain", "phone")) is None


def test_an_email_with_two_at_signs_is_matched_on_the_part_after_the_last() -> None:
    accounts = AccountIndex(by_email_domain={"acme.com": 2, "b@acme.com": 3})
    odd = Customer(name="Odd", email='"a@b"@ACME.com')

    assert accounts.owner_of(odd, ("email_domain",)) == (2, "email_domain")


# Targets read only the fields of their kind -----------------------------------------------


def test_a_skill_target_with_a_leftover_team_id_still_offers_the_reps_with_the_skill() -> None:
    alice_on_team_7 = rep(1, "Alice", team_id=7)
    bob_retail = rep(2, "Bob", tags=["retail"])
    target = Target(TargetKind.skill, skill="retail", team_id=7)

    decision = run([rule(1, target=target)], reps=(alice_on_team_7, bob_retail))

    assert decision.rep_id == 2
    assert [c.rep_id for c in decision.candidates] == [2]


def test_an_account_owner_target_with_a_leftover_skill_still_looks_for_the_owner() -> None:
    alice_retail = rep(1, "Alice", tags=["retail"])
    target = Target(TargetKind.account_owner, skill="retail", match_on=("company",))
    accounts = AccountIndex(by_company={"acme": 2})

    decision = run(
        [rule(1, target=target)],
        reps=(alice_retail, BOB),
        customer=Customer(name="Li", company_name="Acme"),
        accounts=accounts,
    )

    assert decision.rep_id == 2


# What a decision carries --------------------------------------------------------------------


def test_pool_and_queue_decisions_name_the_rule_that_made_them() -> None:
    pooled = run([rule(4, "To VIP", target=Target(TargetKind.pool, pool="vip"))])
    held = run([rule(5, "Hold", target=Target(TargetKind.queue))])
    parked = run(
        [
            rule(
                6,
                "Ghosts",
                target=Target(TargetKind.reps, rep_ids=(99,)),
                fallback=Fallback.team_pool,
            )
        ]
    )

    assert (pooled.rule_id, pooled.rule_name) == (4, "To VIP")
    assert (held.rule_id, held.rule_name) == (5, "Hold")
    assert (parked.rule_id, parked.rule_name) == (6, "Ghosts")


def test_the_strategy_sees_the_customer_being_routed() -> None:
    # best_match scores the customer's industry, so it must be handed the customer.
    retail = rep(1, "Alice", skills={"industries": ["Retail"]})
    finance = rep(2, "Bob", skills={"industries": ["Finance"]})
    best = rule(1, target=Target(TargetKind.reps, rep_ids=(1, 2)), strategy="best_match")

    for industry, expected in (("Finance", 2), ("Retail", 1)):
        customer = Customer(name="Lead", industry=industry)
        assert run([best], reps=(retail, finance), customer=customer).rep_id == expected


def test_parked_and_queued_decisions_list_who_was_excluded() -> None:
    eve = rep(5, "Eve", active=False)
    for fallback in (Fallback.team_pool, Fallback.queue):
        decision = run(
            [rule(1, target=Target(TargetKind.reps, rep_ids=(5,)), fallback=fallback)], reps=(eve,)
        )

        assert [(e.rep_name, e.reason) for e in decision.exclusions] == [("Eve", "inactive")]


RECENT = {"field": "created_at", "op": "within_days", "value": 7}


def test_a_time_based_condition_is_judged_at_the_time_given() -> None:
    new_lead = Customer(name="New", created_at=datetime(2026, 11, 1, tzinfo=UTC))

    decision = run([rule(1, "Fresh leads", conditions=RECENT), rule(2, "Rest")], customer=new_lead)

    assert decision.rule_name == "Fresh leads"


def test_a_time_based_condition_that_fails_is_traced_with_its_value() -> None:
    old_lead = Customer(name="Old", created_at=datetime(2026, 9, 1, tzinfo=UTC))

    decision = run([rule(1, "Fresh leads", conditions=RECENT)], customer=old_lead)

    assert decision.trace[0].result == "no_match"
    assert decision.trace[0].failed_condition is not None
    assert decision.trace[0].failed_condition.startswith("created_at within 7 days (was ")


def test_a_pool_or_queue_target_keeps_the_exclusions_of_the_rules_tried_before() -> None:
    eve = rep(5, "Eve", active=False)
    eves = rule(1, "Eve's", target=Target(TargetKind.reps, rep_ids=(5,)))
    for target in (Target(TargetKind.pool, pool="p"), Target(TargetKind.queue)):
        decision = run([eves, rule(2, "Catch-all", target=target)], reps=(eve,))

        assert decision.rule_name == "Catch-all"
        assert [(e.rep_name, e.reason) for e in decision.exclusions] == [("Eve", "inactive")]


def test_the_trace_names_each_rule_tried_by_id() -> None:
    weekend = EffectiveWindow(weekdays=frozenset({5, 6}))
    west = {"field": "region", "op": "eq", "value": "West"}

    decision = run(
        [
            rule(1, enabled=False),
            rule(2, window=weekend),
            rule(3, conditions=west),
            rule(4, target=Target(TargetKind.reps, rep_ids=(99,))),
            rule(5),
        ]
    )

    assert [(t.rule_id, t.result) for t in decision.trace] == [
        (1, "disabled"),
        (2, "outside_window"),
        (3, "no_match"),
        (4, "no_eligible_rep"),
        (5, "matched"),
    ]


# Fallback pools ---------------------------------------------------------------------------


def test_fallback_team_pool_without_a_name_or_a_team_parks_in_the_public_pool() -> None:
    eve = rep(5, "Eve", active=False)
    leftover_team = Target(TargetKind.reps, rep_ids=(5,), team_id=7)  # not a team target

    for target in (Target(TargetKind.reps, rep_ids=(5,)), leftover_team):
        decision = run([rule(1, target=target, fallback=Fallback.team_pool)], reps=(eve,))

        assert (decision.outcome, decision.pool) == (Outcome.pool, "public")


def test_match_gives_the_trace_with_each_kind_of_final_decision() -> None:
    ghosts = Target(TargetKind.reps, rep_ids=(99,))
    finals = [
        rule(1, target=Target(TargetKind.pool, pool="p")),
        rule(1, target=Target(TargetKind.queue)),
        rule(1, target=ghosts, fallback=Fallback.team_pool),
        rule(1, target=ghosts, fallback=Fallback.queue),
    ]
    for final_rule in finals:
        found = match(LEAD, RoutingContext(rules=[final_rule], reps={}), now=NOW)

        assert found.final is not None
        assert found.trace == found.final.trace
        assert [t.rule_id for t in found.trace] == [1]


def test_a_team_target_whose_sub_team_has_nobody_offers_the_rest() -> None:
    # East (1) > Shanghai (2, nobody in it) > Pudong (3)
    alice, carol = rep(1, "Alice", team_id=1), rep(3, "Carol", team_id=3)
    east = rule(1, target=Target(TargetKind.team, team_id=1))

    found = match(
        LEAD,
        RoutingContext(rules=[east], reps={1: alice, 3: carol}, sub_teams={1: [2], 2: [3]}),
        now=NOW,
    )

    assert [s.rep.name for s in found.eligible] == ["Alice", "Carol"]
