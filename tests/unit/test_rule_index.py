"""``RuleIndex``: a customer meets only the rules that could match it, in priority order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.customers import Customer, Stage
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.fields import field_catalog
from fenpei.engine.model import RoutingRule, Target, TargetKind
from fenpei.engine.router import CompiledRule
from fenpei.engine.rule_index import RuleIndex

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
CATALOG = field_catalog(
    [CustomField(key="tier", label="Tier", kind=FieldKind.choice, choices=["Gold", "Silver"])]
)


def rule(rule_id: int, conditions: dict[str, Any]) -> CompiledRule:
    routing_rule = RoutingRule(
        id=rule_id,
        name=f"Rule {rule_id}",
        priority=rule_id,
        conditions=conditions,
        target=Target(TargetKind.queue),
    )
    return CompiledRule(routing_rule, compile_conditions(parse_conditions(conditions, CATALOG)))


def eq(field: str, value: object) -> dict[str, Any]:
    return {"field": field, "op": "eq", "value": value}


def tried(index: RuleIndex, customer: Customer) -> list[int]:
    return [compiled.rule.id for compiled in index.for_customer(customer)]


def test_rules_without_an_equality_condition_are_always_tried() -> None:
    rules = [
        rule(1, {}),
        rule(2, {"field": "region", "op": "ne", "value": "East"}),
        rule(3, {"field": "employees", "op": "eq", "value": 10}),  # numbers are not indexed
        rule(4, {"field": "tags", "op": "contains", "value": "vip"}),
        rule(5, {"not": eq("region", "East")}),
        rule(6, {"any": [eq("region", "East"), eq("level", "A")]}),  # two fields: not indexed
    ]
    index = RuleIndex(rules, CATALOG)

    assert index.size == 6
    assert tried(index, Customer(name="Anyone")) == [1, 2, 3, 4, 5, 6]


def test_an_indexed_rule_is_tried_only_for_customers_with_an_accepted_value() -> None:
    rules = [rule(1, eq("region", "East")), rule(2, eq("region", "West")), rule(3, {})]
    index = RuleIndex(rules, CATALOG)

    assert tried(index, Customer(name="E", region="East")) == [1, 3]
    assert tried(index, Customer(name="W", region="West")) == [2, 3]
    assert tried(index, Customer(name="N", region="North")) == [3]


def test_indexed_and_always_tried_rules_come_back_in_priority_order() -> None:
    rules = [
        rule(1, {}),
        rule(2, eq("region", "East")),
        rule(3, {"field": "level", "op": "ne", "value": "D"}),
        rule(4, eq("level", "A")),
        rule(5, eq("region", "East")),
        rule(6, {}),
    ]
    index = RuleIndex(rules, CATALOG)

    assert tried(index, Customer(name="C", region="East", level="A")) == [1, 2, 3, 4, 5, 6]
    assert tried(index, Customer(name="C", region="East", level="B")) == [1, 2, 3, 5, 6]


def test_a_rule_with_in_on_several_values_is_filed_under_each() -> None:
    rules = [rule(1, {"field": "region", "op": "in", "value": ["East", "North", "South"]})]
    index = RuleIndex(rules, CATALOG)

    for region in ("East", "North", "South"):
        assert tried(index, Customer(name="C", region=region)) == [1]
    assert tried(index, Customer(name="C", region="West")) == []


def test_an_any_of_equalities_on_one_field_is_filed_under_every_value() -> None:
    rules = [
        rule(
            1,
            {
                "any": [
                    eq("region", "East"),
                    {"field": "region", "op": "in", "value": ["West", "North"]},
                ]
            },
        )
    ]
    index = RuleIndex(rules, CATALOG)

    assert [tried(index, Customer(name="C", region=r)) for r in ("East", "West", "North", "X")] == [
        [1],
        [1],
        [1],
        [],
    ]


def test_the_most_selective_field_of_an_all_is_used() -> None:
    both = rule(
        1,
        {
            "all": [
                {"field": "region", "op": "in", "value": ["East", "West", "North"]},
                eq("level", "A"),
            ]
        },
    )
    index = RuleIndex([both], CATALOG)

    # Filed under level = A: a customer without it never meets the rule, whatever the region.
    assert tried(index, Customer(name="C", region="East", level="B")) == []
    assert tried(index, Customer(name="C", region="South", level="A")) == [1]
    assert not both.matches(Customer(name="C", region="South", level="A"), NOW)


def test_contradictory_equalities_mean_the_rule_is_never_tried() -> None:
    never = rule(1, {"all": [eq("region", "East"), eq("region", "West")]})
    index = RuleIndex([never], CATALOG)

    assert tried(index, Customer(name="C", region="East")) == []
    assert tried(index, Customer(name="C", region="West")) == []


def test_case_and_spaces_fold_the_same_way_in_the_index_as_in_evaluation() -> None:
    rules = [rule(1, eq("region", " EAST ")), rule(2, eq("city", "Straße"))]
    index = RuleIndex(rules, CATALOG)

    for customer in (
        Customer(name="C", region="east"),
        Customer(name="C", region="  East"),
        Customer(name="C", city="STRASSE"),
        Customer(name="C", city="strasse "),
    ):
        offered = tried(index, customer)
        matching = [r.rule.id for r in rules if r.matches(customer, NOW)]
        assert offered == matching != []


def test_choice_fields_are_indexed_including_custom_ones() -> None:
    rules = [rule(1, eq("stage", "qualified")), rule(2, eq("custom.tier", "gold"))]
    index = RuleIndex(rules, CATALOG)

    assert tried(index, Customer(name="C", stage=Stage.qualified)) == [1]
    assert tried(index, Customer(name="C", custom={"tier": "Gold"})) == [2]
    assert tried(index, Customer(name="C", custom={"tier": "Silver"})) == []


def test_a_customer_with_nothing_in_the_indexed_field_meets_only_the_other_rules() -> None:
    rules = [rule(1, eq("region", "East")), rule(2, {"field": "region", "op": "is_empty"})]
    index = RuleIndex(rules, CATALOG)

    for customer in (
        Customer(name="C"),
        Customer(name="C", region=""),
        Customer(name="C", region="  "),
    ):
        assert tried(index, customer) == [2]
        assert rules[1].matches(customer, NOW) and not rules[0].matches(customer, NOW)


def test_the_email_domain_field_is_indexed_as_it_is_compared() -> None:
    rules = [rule(1, eq("email_domain", "ACME.com"))]
    index = RuleIndex(rules, CATALOG)
    customer = Customer(name="C", email="li@Acme.COM")

    assert tried(index, customer) == [1] and rules[0].matches(customer, NOW)
