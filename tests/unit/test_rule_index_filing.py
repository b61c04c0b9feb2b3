"""Which field ``RuleIndex`` files a rule under: the one fewest rules share, then the one
with fewest values, then by name, so the same rules always give the same index."""

from __future__ import annotations

from typing import Any

from fenpei.domain.customers import Customer
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.fields import field_catalog
from fenpei.engine.model import RoutingRule, Target, TargetKind
from fenpei.engine.router import CompiledRule
from fenpei.engine.rule_index import RuleIndex

CATALOG = field_catalog()


def rule(rule_id: int, *conditions: dict[str, Any]) -> CompiledRule:
    tree = {"all": list(conditions)}
    routing_rule = RoutingRule(
        id=rule_id, name=f"Rule {rule_id}", priority=rule_id, conditions=tree,
        target=Target(TargetKind.queue),
    )  # fmt: skip
    return CompiledRule(routing_rule, compile_conditions(parse_conditions(tree, CATALOG)))


def eq(field: str, value: str) -> dict[str, Any]:
    return {"field": field, "op": "eq", "value": value}


def tried(index: RuleIndex, region: str, level: str) -> list[int]:
    customer = Customer(name="C", region=region, level=level)
    return [compiled.rule.id for compiled in index.for_customer(customer)]


def test_a_rule_is_filed_under_the_field_whose_value_the_fewest_rules_share() -> None:
    # Every rule wants level A, each its own region: region tells them apart, level does not.
    index = RuleIndex(
        [
            rule(1, eq("region", "East"), eq("level", "A")),
            rule(2, eq("region", "West"), eq("level", "A")),
            rule(3, eq("region", "North"), eq("level", "A")),
        ],
        CATALOG,
    )

    assert tried(index, "South", "A") == []
    assert tried(index, "West", "B") == [2]


def test_on_a_tie_the_field_is_chosen_by_name_whatever_order_the_conditions_are_in() -> None:
    for conditions in (
        (eq("region", "East"), eq("level", "A")),
        (eq("level", "A"), eq("region", "East")),
    ):
        index = RuleIndex([rule(1, *conditions)], CATALOG)

        # Filed under level (before region by name): level decides who meets the rule.
        assert tried(index, "West", "A") == [1]
        assert tried(index, "East", "B") == []


def test_a_rule_contradicting_itself_on_one_field_is_never_tried_even_if_another_field_fits() -> (
    None
):
    never = rule(1, eq("region", "East"), eq("region", "West"), eq("level", "A"))
    index = RuleIndex([never], CATALOG)

    for region in ("East", "West"):
        assert tried(index, region, "A") == []
