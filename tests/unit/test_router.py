"""``route``: rules in order, targets, eligibility, fallbacks, and the story of the decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from random import Random
from typing import Any

import pytest

from fenpei.domain.customers import Customer
from fenpei.domain.org import Rep
from fenpei.engine.capacity import Usage
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.explain import explain
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
from fenpei.engine.router import AccountIndex, CompiledRule, RoutingContext, decide, match, route
from fenpei.engine.rule_index import RuleIndex

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
CATALOG = field_catalog()
EAST = {"field": "region", "op": "eq", "value": "East"}
LEAD = Customer(name="Lead", region="East", level="B")


def reps_target(*rep_ids: int) -> Target:
    return Target(TargetKind.reps, rep_ids=rep_ids)


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
        target=target or reps_target(1),
        **fields,
    )
    predicate = compile_conditions(parse_conditions(routing_rule.conditions, CATALOG))
    return CompiledRule(routing_rule, predicate)


def rep(
    rep_id: int, name: str, *, open_count: int = 0, team_id: int | None = None, **fields: Any
) -> RepState:
    return RepState(
        rep=Rep(name=name, id=rep_id, team_id=team_id, **fields), usage=Usage(open_count)
    )


ALICE = rep(1, "Alice")
BOB = rep(2, "Bob")
CAROL = rep(3, "Carol")
EVE = rep(5, "Eve", active=False)


def context(
    rules: Sequence[CompiledRule], reps: Sequence[RepState] = (ALICE, BOB, CAROL), **extra: Any
) -> RoutingContext:
    return RoutingContext(rules=rules, reps={s.id: s for s in reps}, **extra)


def run(
    rules: Sequence[CompiledRule],
    reps: Sequence[RepState] = (ALICE, BOB, CAROL),
    customer: Customer = LEAD,
    *,
    seed: int = 0,
    **extra: Any,
) -> Decision:
    return route(customer, context(rules, reps, **extra), now=NOW, rng=Random(seed))


def results(decision: Decision) -> list[tuple[str, str]]:
    return [(t.rule_name, t.result) for t in decision.trace]


# Rules in order -----------------------------------------------------------------------


def test_the_first_matching_rule_decides_and_later_ones_are_not_tried() -> None:
    decision = run(
        [
            rule(1, "West", conditions={"field": "region", "op": "eq", "value": "West"}),
            rule(2, "East", conditions=EAST, target=reps_target(2)),
            rule(3, "Anything", target=reps_target(3)),
        ]
    )

    assert (decision.outcome, decision.rep_id, decision.rule_name) == (Outcome.assigned, 2, "East")
    assert results(decision) == [("West", "no_match"), ("East", "matched")]
    assert decision.trace[0].failed_condition == "region = 'West' (was 'East')"
    assert decision.strategy == "round_robin" and decision.rule_id == 2


def test_a_disabled_rule_is_traced_as_disabled_and_passed_over() -> None:
    decision = run([rule(1, "Off", enabled=False), rule(2, "On", target=reps_target(2))])

    assert decision.rep_id == 2
    assert results(decision) == [("Off", "disabled"), ("On", "matched")]


def test_a_rule_outside_its_window_is_traced_and_passed_over() -> None:
    weekend = EffectiveWindow(weekdays=frozenset({5, 6}))
    next_year = EffectiveWindow(starts_on=date(2027, 1, 1))

    decision = run(
        [
            rule(1, "Weekend", window=weekend),
            rule(2, "Next year", window=next_year),
            rule(
                3,
                "Monday mornings",
                window=EffectiveWindow(hours=("09:00", "12:00")),
                target=reps_target(3),
            ),
        ]
    )

    assert decision.rep_id == 3
    assert results(decision) == [
        ("Weekend", "outside_window"),
        ("Next year", "outside_window"),
        ("Monday mornings", "matched"),
    ]


def test_no_rule_at_all_queues_the_customer() -> None:
    decision = run([])

    assert decision.outcome is Outcome.queued
    assert decision.reason == "no rule could place the customer"
    assert (decision.rule_id, decision.rep_id, decision.trace) == (None, None, ())


def test_when_no_rule_matches_the_customer_is_queued_with_every_rule_traced() -> None:
    decision = run([rule(1, "West", conditions={"field": "region", "op": "eq", "value": "West"})])

    assert decision.outcome is Outcome.queued
    assert decision.reason == "no rule could place the customer"
    assert results(decision) == [("West", "no_match")]


# Fallbacks ----------------------------------------------------------------------------


def test_fallback_next_rule_lets_the_rule_below_decide() -> None:
    decision = run(
        [
            rule(1, "Eve's", target=reps_target(5), fallback=Fallback.next_rule),
            rule(2, "Bob's", target=reps_target(2)),
        ],
        reps=(BOB, EVE),
    )

    assert (decision.outcome, decision.rep_id, decision.rule_name) == (
        Outcome.assigned,
        2,
        "Bob's",
    )
    assert results(decision) == [("Eve's", "no_eligible_rep"), ("Bob's", "matched")]
    assert decision.trace[0].failed_condition == "nobody in the target is eligible"
    assert [(e.rep_name, e.reason) for e in decision.exclusions] == [("Eve", "inactive")]


def test_fallback_team_pool_parks_the_customer_in_the_named_pool() -> None:
    decision = run(
        [
            rule(
                1,
                "Eve's",
                target=reps_target(5),
                fallback=Fallback.team_pool,
                fallback_pool="east-waiting",
            ),
            rule(2, "Bob's", target=reps_target(2)),
        ],
        reps=(BOB, EVE),
    )

    assert (decision.outcome, decision.pool, decision.rule_id) == (Outcome.pool, "east-waiting", 1)
    assert decision.reason == (
        "rule 'Eve's': nobody in the target is eligible; parked in pool east-waiting"
    )
    assert decision.rep_id is None
    assert results(decision) == [("Eve's", "no_eligible_rep")]  # the rule below is not tried


def test_fallback_team_pool_without_a_name_uses_the_target_teams_pool() -> None:
    decision = run(
        [
            rule(
                4,
                "East team",
                target=Target(TargetKind.team, team_id=7),
                fallback=Fallback.team_pool,
            )
        ],
        reps=(rep(5, "Eve", team_id=7, active=False),),
    )

    assert (decision.outcome, decision.pool) == (Outcome.pool, "team:7")


def test_fallback_team_pool_of_a_rule_without_a_team_does_not_borrow_a_teams_pool() -> None:
    decision = run(
        [rule(4, "Eve's", target=reps_target(5), fallback=Fallback.team_pool)], reps=(EVE,)
    )

    assert decision.outcome is Outcome.pool
    assert decision.pool != "team:4"


def test_fallback_queue_holds_the_customer_and_says_why() -> None:
    decision = run(
        [rule(1, "Eve's", target=reps_target(5), fallback=Fallback.queue), rule(2, "Bob's")],
        reps=(BOB, EVE),
    )

    assert (decision.outcome, decision.rule_id, decision.rep_id) == (Outcome.queued, 1, None)
    assert decision.reason == (
        "rule 'Eve's': nobody in the target is eligible; queued until someone frees up"
    )


def test_an_empty_target_says_nobody_is_in_it() -> None:
    decision = run([rule(1, "Ghosts", target=reps_target(99), fallback=Fallback.queue)])

    assert decision.trace[0].failed_condition == "nobody in the target"
    assert decision.exclusions == ()


# Targets ------------------------------------------------------------------------------


def eligible(
    decision_rules: Sequence[CompiledRule], reps: Sequence[RepState], **extra: Any
) -> list[str]:
    found = match(LEAD, context(decision_rules, reps, **extra), now=NOW)
    return [s.rep.name for s in found.eligible]


def test_a_reps_target_offers_the_listed_reps_that_exist() -> None:
    assert eligible([rule(1, target=reps_target(3, 1, 42))], (ALICE, BOB, CAROL)) == [
        "Alice",
        "Carol",
    ]


TEAM_TREE = {1: [2], 2: [3]}  # East (1) > Shanghai (2) > Pudong (3); West (4) apart
ORG = (
    rep(1, "Alice", team_id=1),
    rep(2, "Bob", team_id=2),
    rep(3, "Carol", team_id=3),
    rep(4, "Dan", team_id=4),
    rep(6, "Fay"),
)


def test_a_team_target_includes_every_level_of_sub_teams_by_default() -> None:
    east = rule(1, target=Target(TargetKind.team, team_id=1))
    shanghai = rule(1, target=Target(TargetKind.team, team_id=2))

    assert eligible([east], ORG, sub_teams=TEAM_TREE) == ["Alice", "Bob", "Carol"]
    assert eligible([shanghai], ORG, sub_teams=TEAM_TREE) == ["Bob", "Carol"]


def test_a_team_target_without_sub_teams_is_only_that_team() -> None:
    east_only = rule(1, target=Target(TargetKind.team, team_id=1, include_subteams=False))

    assert eligible([east_only], ORG, sub_teams=TEAM_TREE) == ["Alice"]


def test_a_cycle_in_the_team_tree_does_not_hang() -> None:
    east = rule(1, target=Target(TargetKind.team, team_id=1))

    assert eligible([east], ORG, sub_teams={1: [2], 2: [1, 3]}) == ["Alice", "Bob", "Carol"]


def test_a_skill_target_offers_the_reps_with_that_skill_or_tag() -> None:
    reps = (
        rep(1, "Alice", skills={"industries": ["Retail"]}),
        rep(2, "Bob", tags=["retail"]),
        rep(3, "Carol", skills={"products": ["retail"]}),
    )

    assert eligible(
        [rule(1, target=Target(TargetKind.skill, skill="industries:retail"))], reps
    ) == ["Alice"]
    assert eligible([rule(1, target=Target(TargetKind.skill, skill="Retail"))], reps) == ["Bob"]


ACCOUNTS = AccountIndex(
    by_company={"acme ltd": 1}, by_email_domain={"acme.com": 2}, by_phone={"13800138000": 3}
)
RETURNING = Customer(
    name="Returning", company_name=" ACME Ltd ", email="li@ACME.com", phone="+86 138-0013-8000"
)


@pytest.mark.parametrize(
    ("match_on", "owner", "how"),
    [
        (("company",), 1, "company"),
        (("email_domain",), 2, "email_domain"),
        (("phone",), 3, "phone"),
        (("phone", "company"), 3, "phone"),  # the first key that finds an owner wins
    ],
)
def test_an_account_owner_target_finds_the_owner_by_each_key(
    match_on: tuple[str, ...], owner: int, how: str
) -> None:
    target = Target(TargetKind.account_owner, match_on=match_on)

    assert ACCOUNTS.owner_of(RETURNING, match_on) == (owner, how)
    decision = run([rule(1, target=target)], customer=RETURNING, accounts=ACCOUNTS)
    assert decision.rep_id == owner


def test_an_account_owner_target_without_a_matching_account_falls_back() -> None:
    stranger = Customer(name="New", company_name="Other Co", email="x@other.com", phone="021-5555")
    decision = run(
        [
            rule(1, "Owner", target=Target(TargetKind.account_owner)),
            rule(2, "Anyone", target=reps_target(2)),
        ],
        customer=stranger,
        accounts=ACCOUNTS,
    )

    assert (decision.rep_id, decision.rule_name) == (2, "Anyone")
    assert decision.trace[0].failed_condition == "no existing account matches"


def test_an_account_owner_who_is_no_longer_a_rep_counts_as_no_match() -> None:
    gone = AccountIndex(by_company={"acme ltd": 99})
    decision = run(
        [rule(1, target=Target(TargetKind.account_owner), fallback=Fallback.queue)],
        customer=RETURNING,
        accounts=gone,
    )

    assert decision.outcome is Outcome.queued
    assert "no existing account matches" in decision.reason


def test_an_ineligible_account_owner_is_excluded_with_the_reason() -> None:
    decision = run(
        [rule(1, target=Target(TargetKind.account_owner), fallback=Fallback.queue)],
        reps=(rep(1, "Alice", away=True),),
        customer=RETURNING,
        accounts=ACCOUNTS,
    )

    assert decision.outcome is Outcome.queued
    assert [(e.rep_name, e.reason) for e in decision.exclusions] == [
        ("Alice", "away (manual switch)")
    ]
    assert decision.trace[0].failed_condition == "owner of the matching account (by company)"


def test_a_pool_target_parks_the_customer_in_its_pool_or_the_public_one() -> None:
    named = run([rule(1, "To VIP pool", target=Target(TargetKind.pool, pool="vip"))])
    unnamed = run([rule(1, "To a pool", target=Target(TargetKind.pool))])

    assert (named.outcome, named.pool, named.rule_id) == (Outcome.pool, "vip", 1)
    assert named.reason == "rule 'To VIP pool' sends it to pool vip"
    assert unnamed.pool == "public"
    assert named.candidates == () and named.rep_id is None


def test_a_queue_target_holds_the_customer() -> None:
    decision = run([rule(1, "Hold", target=Target(TargetKind.queue)), rule(2, "Later")])

    assert (decision.outcome, decision.rule_id) == (Outcome.queued, 1)
    assert decision.reason == "rule 'Hold' holds it in the queue"
    assert results(decision) == [("Hold", "matched")]


# Eligibility and the explanation ---------------------------------------------------------


def test_required_skills_exclude_reps_without_them() -> None:
    reps = (rep(1, "Alice", skills={"languages": ["ja"]}), rep(2, "Bob"))
    decision = run([rule(1, target=reps_target(1, 2), required_skills=("languages:ja",))], reps)

    assert decision.rep_id == 1
    assert [(e.rep_name, e.reason) for e in decision.exclusions] == [
        ("Bob", "lacks skill languages:ja")
    ]


def test_every_excluded_rep_is_named_with_its_reason_across_the_rules_tried() -> None:
    reps = (
        rep(1, "Alice", open_count=40, max_open=40),
        rep(2, "Bob"),
        rep(3, "Carol", away=True),
        rep(4, "Dan", active=False),
        rep(5, "Eve", skills={}),
    )
    decision = run(
        [
            rule(1, "Seniors", target=reps_target(4, 1)),
            rule(
                2,
                "Everyone",
                target=reps_target(1, 2, 3, 4, 5),
                required_skills=("industries:retail",),
            ),
            rule(3, "Bob", target=reps_target(2)),
        ],
        reps,
    )

    assert decision.rep_id == 2 and decision.rule_name == "Bob"
    assert [(e.rep_name, e.reason) for e in decision.exclusions] == [
        ("Alice", "at capacity: 40/40 open customers"),
        ("Dan", "inactive"),
        ("Alice", "lacks skill industries:retail"),
        ("Bob", "lacks skill industries:retail"),
        ("Carol", "away (manual switch)"),
        ("Dan", "inactive"),
        ("Eve", "lacks skill industries:retail"),
    ]
    text = explain(decision)
    for excluded in decision.exclusions:
        assert f"{excluded.rep_name} excluded: {excluded.reason}" in text


def test_candidates_are_every_eligible_rep_sorted_by_score_best_first() -> None:
    reps = (
        rep(1, "Alice", open_count=30, max_open=40),
        rep(2, "Bob", open_count=5, max_open=10),
        rep(3, "Carol", open_count=10, max_open=40),
        rep(4, "Dan", open_count=10, max_open=40, active=False),
    )
    decision = run([rule(1, target=reps_target(1, 2, 3, 4), strategy="least_loaded")], reps)

    assert decision.rep_id == 3
    assert [(c.rep_name, c.score) for c in decision.candidates] == [
        ("Carol", 0.75),
        ("Bob", 0.5),
        ("Alice", 0.25),
    ]


def test_equal_scores_list_candidates_by_rep_id() -> None:
    decision = run([rule(1, target=reps_target(3, 1, 2), strategy="random")])

    assert [c.rep_id for c in decision.candidates] == [1, 2, 3]


def test_the_rules_strategy_state_goes_in_and_the_updated_state_comes_out() -> None:
    before = {"last_rep_id": 1, "last_rep_name": "Alice"}
    decision = run([rule(7, target=reps_target(1, 2, 3))], states={7: before})

    assert decision.rep_id == 2
    assert decision.state_before == before
    assert decision.state_after == {"last_rep_id": 2, "last_rep_name": "Bob"}
    assert decision.reason == "rule 'Rule 7' matched; round robin: next after Alice"


def test_another_rules_state_is_not_used() -> None:
    decision = run([rule(7, target=reps_target(1, 2, 3))], states={8: {"last_rep_id": 1}})

    assert decision.rep_id == 1 and decision.state_before == {}


def test_match_then_decide_is_route() -> None:
    ctx = context(
        [
            rule(1, "West", conditions={"field": "region", "op": "eq", "value": "West"}),
            rule(2, target=reps_target(1, 2)),
        ],
        states={2: {"last_rep_id": 1}},
    )

    found = match(LEAD, ctx, now=NOW)
    assert found.final is None and found.rule is not None and found.rule.id == 2
    assert [s.id for s in found.eligible] == [1, 2]
    decided = decide(found, customer=LEAD, state={"last_rep_id": 1}, rng=Random(0))
    assert decided == route(LEAD, ctx, now=NOW, rng=Random(0))


def test_the_same_seed_gives_the_same_decisions() -> None:
    rules = [rule(1, target=reps_target(1, 2, 3), strategy="random")]

    def draws(seed: int) -> list[int | None]:
        rng = Random(seed)
        ctx = context(rules)
        return [route(LEAD, ctx, now=NOW, rng=rng).rep_id for _ in range(30)]

    assert draws(42) == draws(42)
    assert draws(42) != draws(43)
    assert set(draws(42)) == {1, 2, 3}


# The rule index -----------------------------------------------------------------------


def by_region(rule_id: int, region: str, **fields: Any) -> CompiledRule:
    return rule(
        rule_id,
        region,
        conditions={"field": "region", "op": "eq", "value": region},
        target=reps_target(rule_id % 3 + 1),
        **fields,
    )


def test_rules_the_index_proves_cannot_match_are_counted_not_traced() -> None:
    rules = [by_region(1, "West"), by_region(2, "North"), by_region(3, "East"), rule(4, "All")]

    decision = run(rules, selector=RuleIndex(rules, CATALOG))

    assert decision.rule_name == "East"
    assert results(decision) == [("East", "matched")]
    assert decision.rules_skipped == 2


def test_a_final_decision_also_counts_the_rules_skipped() -> None:
    rules = [by_region(1, "West"), rule(2, "Pool", target=Target(TargetKind.pool, pool="p"))]

    decision = run(rules, selector=RuleIndex(rules, CATALOG))

    assert (decision.outcome, decision.rules_skipped) == (Outcome.pool, 1)


REGIONS = ("East", "West", "North", "South", " east ", "WEST", None, "")
LEVELS = ("A", "B", "C", None)


def random_rules(rng: Random) -> list[CompiledRule]:
    rules = []
    for rule_id in range(1, 25):
        shape = rng.randrange(6)
        region = rng.choice(REGIONS[:4])
        conditions: dict[str, Any] = (
            {"field": "region", "op": "eq", "value": region}
            if shape == 0
            else {"field": "region", "op": "in", "value": rng.sample(REGIONS[:4], 2)}
            if shape == 1
            else {"all": [{"field": "region", "op": "eq", "value": region},
                          {"field": "level", "op": "in", "value": ["A", "b"]}]}
            if shape == 2
            else {"any": [{"field": "level", "op": "eq", "value": "c"},
                          {"field": "level", "op": "eq", "value": "A"}]}
            if shape == 3
            else {"field": "region", "op": "ne", "value": region}
            if shape == 4
            else {}
        )  # fmt: skip
        fields: dict[str, Any] = {
            "enabled": rng.random() > 0.1,
            "fallback": rng.choice(list(Fallback)),
        }
        targets = [reps_target(*rng.sample([1, 2, 3, 5], 2)), Target(TargetKind.pool, pool="p")]
        rules.append(rule(rule_id, conditions=conditions, target=rng.choice(targets), **fields))
    return rules


@pytest.mark.parametrize("seed", range(4))
def test_the_index_never_changes_a_decision(seed: int) -> None:
    rng = Random(seed)
    rules = random_rules(rng)
    index = RuleIndex(rules, CATALOG)
    reps = (ALICE, BOB, rep(3, "Carol", open_count=1, max_open=1), EVE)
    for _ in range(100):
        customer = Customer(name="C", region=rng.choice(REGIONS), level=rng.choice(LEVELS))
        plain = route(customer, context(rules, reps), now=NOW, rng=Random(1))
        indexed = route(customer, context(rules, reps, selector=index), now=NOW, rng=Random(1))

        assert replace(indexed, trace=plain.trace, rules_skipped=0) == plain
        assert [t for t in plain.trace if t.result != "no_match" and t.result != "disabled"] == [
            t for t in indexed.trace if t.result != "no_match" and t.result != "disabled"
        ]
        tried = {t.rule_id for t in indexed.trace}
        assert len(tried) + indexed.rules_skipped <= len(rules)
