"""Decisions as one plain sentence for people and as JSON for the assignment record."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from random import Random
from typing import Any

from fenpei.domain.customers import Customer
from fenpei.domain.org import Rep
from fenpei.engine.capacity import Usage
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.explain import decision_json, explain
from fenpei.engine.fields import field_catalog
from fenpei.engine.model import (
    Candidate,
    Decision,
    Exclusion,
    Fallback,
    Outcome,
    RepState,
    RoutingRule,
    RuleTrace,
    Target,
    TargetKind,
)
from fenpei.engine.router import CompiledRule, RoutingContext, route

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
CATALOG = field_catalog()


def rule(
    rule_id: int, name: str, conditions: dict[str, Any], target: Target, **fields: Any
) -> CompiledRule:
    routing_rule = RoutingRule(rule_id, name, rule_id, conditions, target, **fields)
    return CompiledRule(routing_rule, compile_conditions(parse_conditions(conditions, CATALOG)))


def rep_state(rep_id: int, name: str, open_count: int = 0, **fields: Any) -> RepState:
    return RepState(rep=Rep(name=name, id=rep_id, **fields), usage=Usage(open_count))


ALICE = rep_state(1, "Alice", 40, max_open=40)
BOB = rep_state(2, "Bob", 12, max_open=40)
VIP = rule(
    1, "VIP", {"field": "level", "op": "eq", "value": "A"}, Target(TargetKind.pool, pool="vip")
)
EAST = rule(
    2,
    "East",
    {"field": "region", "op": "eq", "value": "East"},
    Target(TargetKind.reps, rep_ids=(1, 2)),
    strategy="least_loaded",
)
CUSTOMER = Customer(name="Lead", region="East", level="B")


def decide(*rules: CompiledRule, customer: Customer = CUSTOMER) -> Decision:
    ctx = RoutingContext(rules=rules, reps={1: ALICE, 2: BOB})
    return route(customer, ctx, now=NOW, rng=Random(0))


def test_an_assignment_reads_skipped_rules_then_exclusions_then_who_was_chosen_and_why() -> None:
    text = explain(decide(VIP, EAST))

    assert text == (
        "skipped 'VIP': level = 'A' (was 'B') · Alice excluded: at capacity: 40/40 open customers"
        " · Bob chosen: rule 'East' matched; least loaded: 12/40 open (30%)"
    )


def test_a_plain_match_is_just_the_choice() -> None:
    text = explain(decide(rule(2, "East", {}, Target(TargetKind.reps, rep_ids=(2,)))))

    assert text == "Bob chosen: rule 'East' matched; round robin: first turn"


def test_a_pool_decision_ends_with_its_reason() -> None:
    text = explain(decide(VIP, customer=Customer(name="Key", level="A")))

    assert text == "rule 'VIP' sends it to pool vip"


ALICE_ONLY = rule(3, "Alice's", {}, Target(TargetKind.reps, rep_ids=(1,)), fallback=Fallback.queue)


def test_a_queued_decision_names_every_exclusion_and_ends_with_the_fallback() -> None:
    parts = explain(decide(VIP, ALICE_ONLY)).split(" · ")

    assert parts[0] == "skipped 'VIP': level = 'A' (was 'B')"
    assert "Alice excluded: at capacity: 40/40 open customers" in parts
    assert parts[-1] == (
        "rule 'Alice's': nobody in the target is eligible; queued until someone frees up"
    )


def test_the_rule_whose_fallback_decided_is_not_called_skipped() -> None:
    text = explain(decide(VIP, ALICE_ONLY))

    assert text == (
        "skipped 'VIP': level = 'A' (was 'B')"
        " · Alice excluded: at capacity: 40/40 open customers"
        " · rule 'Alice's': nobody in the target is eligible; queued until someone frees up"
    )


def test_rules_without_a_failed_condition_say_what_happened_to_them() -> None:
    off = rule(4, "Off", {}, Target(TargetKind.queue), enabled=False)

    text = explain(decide(off))

    assert text == "skipped 'Off': disabled · no rule could place the customer"


def test_after_max_rules_the_rest_are_counted() -> None:
    trace = tuple(RuleTrace(i, f"R{i}", "no_match", f"region = 'R{i}' (was 'X')") for i in range(8))
    decision = Decision(Outcome.queued, "no rule could place the customer", trace=trace)

    text = explain(decision, max_rules=3)

    assert text.split(" · ") == [
        "skipped 'R0': region = 'R0' (was 'X')",
        "skipped 'R1': region = 'R1' (was 'X')",
        "skipped 'R2': region = 'R2' (was 'X')",
        "… 5 more rules skipped",
        "no rule could place the customer",
    ]
    assert explain(decision).count("skipped '") == 5  # the default is five


def test_exactly_max_rules_are_all_shown_without_a_count() -> None:
    trace = tuple(RuleTrace(i, f"R{i}", "outside_window") for i in range(3))

    text = explain(Decision(Outcome.queued, "q", trace=trace), max_rules=3)

    assert "more rules skipped" not in text and text.count("outside window") == 3


def test_a_chosen_rep_missing_from_the_candidates_is_named_by_id() -> None:
    decision = Decision(Outcome.assigned, "forced", rep_id=9, candidates=(Candidate(1, "A", 1),))

    assert explain(decision) == "9 chosen: forced"


def test_decision_json_is_json_ready_and_complete() -> None:
    decision = decide(VIP, EAST)

    data = decision_json(decision)
    round_trip = json.loads(json.dumps(data))

    assert round_trip["outcome"] == "assigned"
    assert round_trip["rep_id"] == 2 and round_trip["rule_name"] == "East"
    assert round_trip["trace"] == [
        {
            "rule_id": 1,
            "rule_name": "VIP",
            "result": "no_match",
            "failed_condition": "level = 'A' (was 'B')",
            "failed": {  # the same as data, for pages to say in their language
                "key": "failed.leaf",
                "text": "level = 'A' (was 'B')",
                "values": {
                    "text": "level = 'A'",
                    "was": "'B'",
                    "tree": {"field": "level", "op": "eq", "value": "A"},
                },
            },
        },
        {
            "rule_id": 2,
            "rule_name": "East",
            "result": "matched",
            "failed_condition": None,
            "failed": None,
        },
    ]
    assert round_trip["exclusions"] == [
        {"rep_id": 1, "rep_name": "Alice", "reason": "at capacity: 40/40 open customers"}
    ]
    assert round_trip["candidates"] == [{"rep_id": 2, "rep_name": "Bob", "score": 0.7}]
    assert set(round_trip) >= {
        "reason",
        "strategy",
        "pool",
        "rules_skipped",
        "state_before",
        "state_after",
    }


def test_decision_json_of_every_outcome_serialises() -> None:
    decisions = [
        decide(VIP, EAST),
        decide(VIP, customer=Customer(name="Key", level="A")),
        decide(),
        Decision(
            Outcome.assigned,
            "r",
            rep_id=1,
            exclusions=(Exclusion(2, "Bob", "inactive"),),
            state_before={"current": {"1": 3}},
            state_after={"last_rep_id": 1, "last_rep_name": "Alice"},
        ),
    ]

    for decision in decisions:
        text = json.dumps(decision_json(decision), allow_nan=False)
        assert json.loads(text)["outcome"] == decision.outcome.value
