"""The rule condition language: validation with paths, every op, explanations, indexing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import re2  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.errors import ValidationFailed
from fenpei.engine import _regex
from fenpei.engine.conditions import (
    All,
    Leaf,
    Not,
    Op,
    compile_conditions,
    describe,
    equality_keys,
    normalise_key,
    parse_conditions,
)
from fenpei.engine.conditions import Any as AnyOf
from fenpei.engine.fields import FieldType, field_catalog
from tests._reference import reference

NOW = datetime(2024, 5, 15, 4, 0, tzinfo=UTC)  # Wednesday, 12:00 in Shanghai
CUSTOM = [
    CustomField(key="budget", label="Budget", kind=FieldKind.number),
    CustomField(key="first_met", label="First met", kind=FieldKind.date),
    CustomField(key="tier", label="Tier", kind=FieldKind.choice, choices=["gold", "silver"]),
    CustomField(key="wechat_group", label="WeChat group", kind=FieldKind.text),
]
CATALOG = field_catalog(CUSTOM)
NO_VALUE: Any = object()


def leaf(field: str, op: str, value: object = NO_VALUE) -> dict[str, object]:
    node: dict[str, object] = {"field": field, "op": op}
    if value is not NO_VALUE:
        node["value"] = value
    return node


def customer(**fields: object) -> Customer:
    fields.setdefault("name", "张三")
    return Customer(**fields)  # type: ignore[arg-type]


def holds(tree: object, who: Customer, now: datetime = NOW) -> bool:
    return compile_conditions(parse_conditions(tree, CATALOG))(who, now)


def failure(tree: object, who: Customer, now: datetime = NOW) -> str | None:
    return compile_conditions(parse_conditions(tree, CATALOG)).first_failure(who, now)


def errors_of(tree: object, **options: str) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        parse_conditions(tree, CATALOG, **options)
    return {e.field: e.message for e in caught.value.errors}


def at(hours: float) -> datetime:
    """A moment ``hours`` after NOW (negative: before)."""
    return NOW + timedelta(hours=hours)


# --- the tree ------------------------------------------------------------------------


def test_a_tree_parses_into_typed_nodes_that_remember_their_paths() -> None:
    tree = {
        "all": [
            leaf("region", "eq", " East "),
            {"any": [leaf("level", "in", ["A", "b"]), {"not": leaf("employees", "lt", 10)}]},
        ]
    }
    node = parse_conditions(tree, CATALOG)
    assert isinstance(node, All)
    region, group = node.children
    assert region == Leaf("region", Op.eq, " East ", "conditions.all[0]")
    assert region.operand == "east" and region.type is FieldType.text
    assert isinstance(group, AnyOf)
    level, negated = group.children
    assert level == Leaf("level", Op.in_, ("A", "b"), "conditions.all[1].any[0]")
    assert level.operand == frozenset({"a", "b"})
    assert isinstance(negated, Not)
    assert negated.child == Leaf("employees", Op.lt, 10, "conditions.all[1].any[1].not")


def test_the_empty_tree_is_always_true() -> None:
    assert parse_conditions({}, CATALOG) == All(())
    assert holds({}, customer())
    assert failure({}, customer()) is None


def test_paths_start_at_the_root_the_caller_names() -> None:
    tree = {"all": [leaf("regoin", "eq", "East")]}
    assert set(errors_of(tree, root="rules[3].conditions")) == {"rules[3].conditions.all[0].field"}


TEXT_OPS = "eq, ne, in, not_in, contains, starts_with, regex, is_empty, is_not_empty"
NEEDS_OBJECT = "needs a condition object (all, any, not or field)"
ONE_OF = "a condition is one of all, any, not or a field test"
ISO = "an ISO date or date-time (2024-05-01, 2024-05-01T09:00+08:00)"
BAD_TREES: list[tuple[object, str, str]] = [
    (
        {
            "all": [
                leaf("region", "eq", "x"),
                leaf("level", "eq", "A"),
                leaf("employees", "between", 3),
            ]
        },
        "conditions.all[2].op",
        "'between' needs [low, high], got 3",
    ),
    (
        {"any": [leaf("regoin", "eq", "East")]},
        "conditions.any[0].field",
        "unknown field 'regoin' (did you mean 'region'?)",
    ),
    (
        {"all": [leaf("region", "eq", "x"), leaf("employees", "gt", "many")]},
        "conditions.all[1].value",
        "'gt' on number field 'employees' needs a number, got 'many'",
    ),
    (leaf("zzz", "eq", "x"), "conditions.field", "unknown field 'zzz'"),
    (
        leaf("custom.budgt", "gt", 1),
        "conditions.field",
        "unknown field 'custom.budgt' (did you mean 'custom.budget'?)",
    ),
    ({"field": 3, "op": "eq", "value": "x"}, "conditions.field", "needs a field name, got 3"),
    ({"all": []}, "conditions.all", "needs at least one condition"),
    ({"all": [{"any": []}]}, "conditions.all[0].any", "needs at least one condition"),
    ({"any": "region"}, "conditions.any", "needs a list of conditions, got 'region'"),
    (
        {"all": [leaf("region", "eq", "x"), "region = x"]},
        "conditions.all[1]",
        f"{NEEDS_OBJECT}, got 'region = x'",
    ),
    (
        {"not": [leaf("region", "eq", "x")]},
        "conditions.not",
        f"{NEEDS_OBJECT}, got [{{'field': 'region', 'op': 'eq', 'val...",
    ),
    ({"all": [{}]}, "conditions.all[0]", "is empty; only the whole tree may be {} (always true)"),
    (
        {"all": [leaf("region", "eq", "x")], "field": "level"},
        "conditions",
        f"has 'all' and 'field'; {ONE_OF}",
    ),
    (
        {"any": [leaf("region", "eq", "x")], "not": leaf("level", "eq", "A")},
        "conditions",
        f"has 'any' and 'not'; {ONE_OF}",
    ),
    (
        {"field": "region", "op": "eq", "value": "x", "vlaue": "y"},
        "conditions",
        "unknown key 'vlaue' (did you mean 'value'?)",
    ),
    (
        {"all": [leaf("region", "eq", "x")], "comment": "east"},
        "conditions",
        "unknown key 'comment'",
    ),
    ({"field": "region", "value": "x"}, "conditions.op", f"is required (one of {TEXT_OPS})"),
    (
        leaf("employees", "betwen", [1, 2]),
        "conditions.op",
        "unknown op 'betwen' (did you mean 'between'?)",
    ),
    (
        leaf("stage", "equals", "won"),
        "conditions.op",
        "unknown op 'equals' (one of eq, ne, in, not_in, is_empty, is_not_empty)",
    ),
    (
        leaf("region", "gt", "East"),
        "conditions.op",
        f"'gt' does not apply to text field 'region' (use one of {TEXT_OPS})",
    ),
    (
        leaf("tags", "eq", "vip"),
        "conditions.op",
        "'eq' does not apply to list of text field 'tags'"
        " (use one of contains, in, not_in, is_empty, is_not_empty)",
    ),
    (
        leaf("created_at", "eq", "2024-05-01"),
        "conditions.op",
        "'eq' does not apply to datetime field 'created_at' (use one of gt, gte, lt, lte,"
        " between, within_days, older_than_days, in_business_hours, is_empty, is_not_empty)",
    ),
    (
        leaf("employees", "contains", "1"),
        "conditions.op",
        "'contains' does not apply to number field 'employees'"
        " (use one of eq, ne, in, not_in, gt, gte, lt, lte, between, is_empty, is_not_empty)",
    ),
    (leaf("region", "eq"), "conditions.value", "'eq' needs a value"),
    (
        leaf("region", "eq", "  "),
        "conditions.value",
        "'eq' on text field 'region' needs non-empty text, got '  '",
    ),
    (
        leaf("region", "eq", 3),
        "conditions.value",
        "'eq' on text field 'region' needs non-empty text, got 3",
    ),
    (
        leaf("stage", "eq", "open"),
        "conditions.value",
        "'eq' on choice field 'stage' needs one of new, contacted, qualified, won, lost,"
        " got 'open'",
    ),
    (
        leaf("custom.tier", "in", ["gold", "bronze"]),
        "conditions.value[1]",
        "'in' on choice field 'custom.tier' needs one of gold, silver, got 'bronze'",
    ),
    (
        leaf("level", "in", "A"),
        "conditions.value",
        "'in' on text field 'level' needs a non-empty list, got 'A'",
    ),
    (
        leaf("level", "not_in", []),
        "conditions.value",
        "'not_in' on text field 'level' needs a non-empty list, got []",
    ),
    (
        leaf("level", "in", ["A"] * 1001),
        "conditions.value",
        "'in' takes at most 1000 values, got 1001",
    ),
    (
        leaf("employees", "in", [1, "2"]),
        "conditions.value[1]",
        "'in' on number field 'employees' needs a number, got '2'",
    ),
    (
        leaf("employees", "eq", True),
        "conditions.value",
        "'eq' on number field 'employees' needs a number, got True",
    ),
    (
        leaf("score", "gt", float("nan")),
        "conditions.value",
        "'gt' on number field 'score' needs a finite number, got nan",
    ),
    (
        leaf("score", "lt", 10**400),
        "conditions.value",
        "'lt' on number field 'score' needs a finite number, got 1" + "0" * 36 + "...",
    ),
    (
        leaf("employees", "between", [10, 5]),
        "conditions.value",
        "'between' needs low <= high, got [10, 5]",
    ),
    (
        leaf("employees", "between", [1, 2, 3]),
        "conditions.op",
        "'between' needs [low, high], got [1, 2, 3]",
    ),
    (
        leaf("employees", "between", ["1", 5]),
        "conditions.value[0]",
        "'between' on number field 'employees' needs a number, got '1'",
    ),
    (
        leaf("custom.first_met", "gt", "2024-02-30"),
        "conditions.value",
        "'gt' on date field 'custom.first_met' needs a date (YYYY-MM-DD), got '2024-02-30'",
    ),
    (
        leaf("custom.first_met", "between", ["2024-05-02", "2024-05-01"]),
        "conditions.value",
        "'between' needs low <= high, got ['2024-05-02', '2024-05-01']",
    ),
    (
        leaf("created_at", "gt", "yesterday"),
        "conditions.value",
        f"'gt' on datetime field 'created_at' needs {ISO}, got 'yesterday'",
    ),
    (
        leaf("created_at", "between", ["2024-05-01", "1024-05-01"]),
        "conditions.value[1]",
        f"'between' on datetime field 'created_at' needs {ISO}, got '1024-05-01'",
    ),
    (leaf("email", "is_empty", True), "conditions.value", "'is_empty' takes no value, got True"),
    (
        leaf("email", "is_not_empty", ""),
        "conditions.value",
        "'is_not_empty' takes no value, got ''",
    ),
    (
        leaf("created_at", "within_days", 0),
        "conditions.value",
        "'within_days' on datetime field 'created_at' needs a positive number of days, got 0",
    ),
    (
        leaf("created_at", "older_than_days", "7"),
        "conditions.value",
        "'older_than_days' on datetime field 'created_at' needs a positive number of days, got '7'",
    ),
    (
        leaf("created_at", "within_days", 40000),
        "conditions.value",
        "'within_days' on datetime field 'created_at' needs a positive number of days"
        " (at most 36500), got 40000",
    ),
    (
        leaf("custom.first_met", "within_days", 1.5),
        "conditions.value",
        "'within_days' on date field 'custom.first_met' needs a positive whole number of days"
        " (at most 36500), got 1.5",
    ),
    (
        leaf("phone", "regex", 138),
        "conditions.value",
        "'regex' on text field 'phone' needs a pattern (text), got 138",
    ),
    (
        leaf("phone", "regex", "(138"),
        "conditions.value",
        "'regex' pattern does not compile: missing ): (138",
    ),
    (
        leaf("phone", "regex", r"(\d)\1"),
        "conditions.value",
        r"'regex' pattern does not compile: invalid escape sequence: \1",
    ),
    (
        leaf("phone", "regex", "1" * 201),
        "conditions.value",
        "'regex' pattern is 201 characters long; at most 200 are allowed",
    ),
    (
        leaf("created_at", "in_business_hours", "9-18"),
        "conditions.value",
        "'in_business_hours' on datetime field 'created_at' needs an object with time_zone,"
        " weekdays and hours, got '9-18'",
    ),
    (
        leaf("created_at", "in_business_hours", {"time_zone": "Asia/Shangai"}),
        "conditions.value.time_zone",
        "unknown time zone 'Asia/Shangai' (an IANA name such as 'Asia/Shanghai')",
    ),
    (
        leaf("created_at", "in_business_hours", {"weekdays": [0, 7]}),
        "conditions.value.weekdays",
        "needs weekdays from 0 (Monday) to 6 (Sunday), got [0, 7]",
    ),
    (
        leaf("created_at", "in_business_hours", {"hours": ["18:00", "09:00"]}),
        "conditions.value.hours",
        "needs ['HH:MM', 'HH:MM'] with start before end, got ['18:00', '09:00']",
    ),
    (
        leaf("created_at", "in_business_hours", {"hours": ["9:00", "18:00"]}),
        "conditions.value.hours",
        "needs ['HH:MM', 'HH:MM'] with start before end, got ['9:00', '18:00']",
    ),
    (
        leaf("created_at", "in_business_hours", {"zone": "UTC"}),
        "conditions.value.zone",
        "unknown key (expected time_zone, weekdays, hours)",
    ),
]


@pytest.mark.parametrize(("tree", "path", "message"), BAD_TREES)
def test_a_bad_tree_is_rejected_naming_the_node_at_fault(
    tree: object, path: str, message: str
) -> None:
    assert errors_of(tree) == {path: message}


def test_every_bad_node_is_reported_at_once() -> None:
    tree = {
        "all": [
            leaf("regoin", "eq", "East"),
            leaf("employees", "gt", "many"),
            {"any": [leaf("level", "in", "A"), 5]},
            {"not": leaf("stage", "eq", "open")},
        ]
    }
    assert set(errors_of(tree)) == {
        "conditions.all[0].field",
        "conditions.all[1].value",
        "conditions.all[2].any[0].value",
        "conditions.all[2].any[1]",
        "conditions.all[3].not.value",
    }


def test_an_unknown_field_and_an_unknown_op_in_one_leaf_are_both_reported() -> None:
    assert set(errors_of(leaf("regoin", "equals", "x"))) == {"conditions.field", "conditions.op"}


def test_a_tree_twenty_levels_deep_is_accepted_and_twenty_one_is_not() -> None:
    def nested(levels: int) -> dict[str, object]:
        node: dict[str, object] = leaf("region", "eq", "East")
        for _ in range(levels - 1):
            node = {"not": node}
        return node

    assert isinstance(parse_conditions(nested(20), CATALOG), Not)
    assert errors_of(nested(21)) == {
        "conditions" + ".not" * 20: "is nested more than 20 levels deep"
    }


def test_five_hundred_field_tests_are_accepted_and_more_are_not() -> None:
    many = [leaf("region", "ne", f"r{i}") for i in range(501)]
    assert isinstance(parse_conditions({"all": many[:500]}, CATALOG), All)
    assert errors_of({"all": many}) == {
        "conditions": "has more than 500 field tests; split the rule"
    }


def test_a_huge_garbage_tree_lists_a_bounded_number_of_errors() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_conditions({"any": [leaf("regoin", "eq", "x")] * 400}, CATALOG)
    assert len(caught.value.errors) == 100


def test_an_unknown_time_zone_for_the_rule_is_rejected() -> None:
    assert errors_of(leaf("region", "eq", "x"), time_zone="Mars/Olympus") == {
        "conditions": "unknown time zone 'Mars/Olympus' (an IANA name such as 'Asia/Shanghai')"
    }


# --- every op on every type ------------------------------------------------------------

MET = "custom.first_met"
MAY_10 = datetime(2024, 5, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
MICROSECOND = timedelta(microseconds=1)


def met(day: str) -> dict[str, object]:
    return {"custom": {"first_met": day}}


def made(moment: datetime) -> dict[str, object]:
    return {"created_at": moment}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


OP_CASES: list[tuple[dict[str, object], dict[str, object], bool]] = [
    # text: equality and sets compare case-insensitively after stripping
    (leaf("region", "eq", "east"), {"region": " East "}, True),
    (leaf("region", "eq", "East"), {"region": "West"}, False),
    (leaf("region", "ne", "East"), {"region": "West"}, True),
    (leaf("region", "ne", "east "), {"region": "EAST"}, False),
    (leaf("level", "in", ["A", "b"]), {"level": "B"}, True),
    (leaf("level", "in", ["A", "b"]), {"level": "C"}, False),
    (leaf("level", "not_in", ["A", "b"]), {"level": "C"}, True),
    (leaf("level", "not_in", ["A", "b"]), {"level": "a"}, False),
    (leaf("company_name", "contains", "TRADING"), {"company_name": "Acme Trading Ltd"}, True),
    (leaf("company_name", "contains", "bank"), {"company_name": "Acme Trading Ltd"}, False),
    (leaf("company_name", "contains", "贸易"), {"company_name": "上海贸易有限公司"}, True),
    (leaf("phone", "starts_with", "138"), {"phone": "13812345678"}, True),
    (leaf("phone", "starts_with", "139"), {"phone": "13812345678"}, False),
    (leaf("name", "starts_with", "ac"), {"name": "Acme"}, True),
    (leaf("phone", "regex", r"^1[38]\d{9}$"), {"phone": "13812345678"}, True),
    (leaf("phone", "regex", r"^1[38]\d{9}$"), {"phone": "12345"}, False),
    (leaf("name", "regex", "^acme"), {"name": "Acme"}, False),  # case-sensitive by default
    (leaf("name", "regex", "(?i)^acme"), {"name": "Acme"}, True),
    (leaf("email_domain", "eq", "Example.com"), {"email": "li@EXAMPLE.com"}, True),
    (leaf("email_domain", "in", ["qq.com", "163.com"]), {"email": "li@example.com"}, False),
    (leaf("region", "is_empty"), {"region": None}, True),
    (leaf("region", "is_empty"), {"region": "  "}, True),
    (leaf("region", "is_empty"), {"region": "East"}, False),
    (leaf("region", "is_not_empty"), {"region": "East"}, True),
    (leaf("region", "is_not_empty"), {"region": ""}, False),
    # choice
    (leaf("stage", "eq", "WON"), {"stage": Stage.won}, True),
    (leaf("stage", "eq", "won"), {"stage": Stage.lost}, False),
    (leaf("stage", "ne", "won"), {"stage": Stage.lost}, True),
    (leaf("stage", "ne", "won"), {"stage": Stage.won}, False),
    (leaf("stage", "in", ["new", "contacted"]), {"stage": Stage.contacted}, True),
    (leaf("stage", "in", ["new", "contacted"]), {"stage": Stage.qualified}, False),
    (leaf("stage", "not_in", ["won", "lost"]), {"stage": Stage.qualified}, True),
    (leaf("stage", "not_in", ["won", "lost"]), {"stage": Stage.won}, False),
    (leaf("stage", "is_not_empty"), {"stage": Stage.new}, True),
    (leaf("stage", "is_empty"), {"stage": Stage.new}, False),
    (leaf("custom.tier", "eq", "gold"), {"custom": {"tier": "gold"}}, True),
    (leaf("custom.tier", "eq", "gold"), {"custom": {"tier": "silver"}}, False),
    (leaf("custom.tier", "is_empty"), {"custom": {}}, True),
    # number
    (leaf("employees", "eq", 100), {"employees": 100}, True),
    (leaf("employees", "eq", 100.0), {"employees": 99}, False),
    (leaf("employees", "ne", 100), {"employees": 99}, True),
    (leaf("employees", "ne", 100), {"employees": 100}, False),
    (leaf("employees", "in", [50, 100]), {"employees": 50}, True),
    (leaf("employees", "in", [50, 100]), {"employees": 75}, False),
    (leaf("employees", "not_in", [50, 100]), {"employees": 75}, True),
    (leaf("employees", "not_in", [50, 100]), {"employees": 100}, False),
    (leaf("employees", "gt", 100), {"employees": 101}, True),
    (leaf("employees", "gt", 100), {"employees": 100}, False),
    (leaf("employees", "gte", 100), {"employees": 100}, True),
    (leaf("employees", "gte", 100), {"employees": 99}, False),
    (leaf("employees", "lt", 100), {"employees": 99}, True),
    (leaf("employees", "lt", 100), {"employees": 100}, False),
    (leaf("employees", "lte", 100), {"employees": 100}, True),
    (leaf("employees", "lte", 100), {"employees": 101}, False),
    (leaf("employees", "between", [10, 50]), {"employees": 10}, True),
    (leaf("employees", "between", [10, 50]), {"employees": 50}, True),
    (leaf("employees", "between", [10, 50]), {"employees": 51}, False),
    (leaf("employees", "between", [10, 50]), {"employees": 9}, False),
    (leaf("revenue", "eq", 12.3), {"revenue": Decimal("12.30")}, True),
    (leaf("revenue", "gte", 1_000_000), {"revenue": Decimal("999999.99")}, False),
    (leaf("score", "gt", 80.5), {"score": 80.6}, True),
    (leaf("score", "lte", 80.5), {"score": 80.6}, False),
    (leaf("custom.budget", "between", [1000, 5000.5]), {"custom": {"budget": 5000.5}}, True),
    (leaf("custom.budget", "lt", 1000), {"custom": {"budget": 1000}}, False),
    (leaf("employees", "is_empty"), {"employees": None}, True),
    (leaf("employees", "is_empty"), {"employees": 0}, False),
    (leaf("employees", "is_not_empty"), {"employees": 0}, True),
    # date (custom, ISO text)
    (leaf(MET, "eq", "2024-05-01"), met("2024-05-01"), True),
    (leaf(MET, "eq", "2024-05-01"), met("2024-05-02"), False),
    (leaf(MET, "ne", "2024-05-01"), met("2024-05-02"), True),
    (leaf(MET, "in", ["2024-05-01"]), met("2024-05-01"), True),
    (leaf(MET, "not_in", ["2024-05-01"]), met("2024-05-01"), False),
    (leaf(MET, "gt", "2024-05-01"), met("2024-05-02"), True),
    (leaf(MET, "gt", "2024-05-01"), met("2024-05-01"), False),
    (leaf(MET, "gte", "2024-05-01"), met("2024-05-01"), True),
    (leaf(MET, "lt", "2024-05-01"), met("2024-05-01"), False),
    (leaf(MET, "lt", "2024-05-01"), met("2024-04-30"), True),
    (leaf(MET, "lte", "2024-05-01"), met("2024-05-01"), True),
    (leaf(MET, "lte", "2024-05-01"), met("2024-05-02"), False),
    (leaf(MET, "between", ["2024-05-01", "2024-05-31"]), met("2024-05-01"), True),
    (leaf(MET, "between", ["2024-05-01", "2024-05-31"]), met("2024-05-31"), True),
    (leaf(MET, "between", ["2024-05-01", "2024-05-31"]), met("2024-04-30"), False),
    (leaf(MET, "between", ["2024-05-01", "2024-06-01"]), met("2024-06-02"), False),
    (leaf(MET, "is_not_empty"), met("2024-05-01"), True),
    # datetime: exact instants (no offset: Shanghai), and dates meaning the whole day there
    (leaf("created_at", "gt", "2024-05-10T02:00:00Z"), made(MAY_10), False),
    (leaf("created_at", "gt", "2024-05-10T10:00+08:00"), made(MAY_10 + MICROSECOND), True),
    (leaf("created_at", "gte", "2024-05-10T10:00"), made(MAY_10), True),
    (leaf("created_at", "gte", "2024-05-10T10:00"), made(MAY_10 - MICROSECOND), False),
    (leaf("created_at", "lt", "2024-05-10T02:00Z"), made(MAY_10), False),
    (leaf("created_at", "lt", "2024-05-10T02:00Z"), made(MAY_10 - MICROSECOND), True),
    (leaf("created_at", "lte", "2024-05-10T02:00Z"), made(MAY_10), True),
    (leaf("created_at", "lte", "2024-05-10T02:00Z"), made(MAY_10 + MICROSECOND), False),
    (leaf("created_at", "lte", "2024-05-10"), made(utc(2024, 5, 10, 15, 59)), True),  # 23:59
    (leaf("created_at", "lte", "2024-05-10"), made(utc(2024, 5, 10, 16)), False),  # 00:00
    (leaf("created_at", "gt", "2024-05-10"), made(utc(2024, 5, 10, 16)), True),
    (leaf("created_at", "gt", "2024-05-10"), made(utc(2024, 5, 10, 15, 59)), False),
    (leaf("created_at", "gte", "2024-05-10"), made(utc(2024, 5, 9, 16)), True),
    (leaf("created_at", "gte", "2024-05-10"), made(utc(2024, 5, 9, 15, 59)), False),
    (leaf("created_at", "lt", "2024-05-10"), made(utc(2024, 5, 9, 16)), False),
    (leaf("created_at", "lt", "2024-05-10"), made(utc(2024, 5, 9, 15, 59)), True),
    (leaf("created_at", "between", ["2024-05-01", "2024-05-10"]), made(MAY_10), True),
    (leaf("created_at", "between", ["2024-05-10T10:00+08:00", "2024-05-11"]), made(MAY_10), True),
    (leaf("created_at", "between", ["2024-05-01", "2024-05-10T02:00Z"]), made(MAY_10), True),
    (leaf("created_at", "between", ["2024-05-01", "2024-05-10T01:59Z"]), made(MAY_10), False),
    (leaf("created_at", "between", ["2024-05-11", "2024-05-31"]), made(MAY_10), False),
    (leaf("closed_at", "is_empty"), {}, True),
    (leaf("closed_at", "is_not_empty"), {"closed_at": MAY_10}, True),
    # list of text
    (leaf("tags", "contains", "vip"), {"tags": ["VIP", "new"]}, True),
    (leaf("tags", "contains", "vi"), {"tags": ["VIP"]}, False),  # membership, not substring
    (leaf("tags", "in", ["key", "vip"]), {"tags": ["Vip"]}, True),
    (leaf("tags", "in", ["key", "vip"]), {"tags": ["new"]}, False),
    (leaf("tags", "not_in", ["key", "vip"]), {"tags": ["new"]}, True),
    (leaf("tags", "not_in", ["key", "vip"]), {"tags": ["new", "KEY"]}, False),
    (leaf("tags", "is_empty"), {"tags": []}, True),
    (leaf("tags", "is_not_empty"), {"tags": []}, False),
    # custom text
    (leaf("custom.wechat_group", "contains", "华东"), {"custom": {"wechat_group": "华东群"}}, True),
    (leaf("custom.wechat_group", "eq", "华东"), {"custom": {"wechat_group": "华北"}}, False),
]


@pytest.mark.parametrize(
    ("tree", "fields", "expected"),
    OP_CASES,
    ids=[f"{t['field']}-{t['op']}-{i}" for i, (t, _, _) in enumerate(OP_CASES)],
)
def test_each_op_tests_its_field_type(
    tree: dict[str, object], fields: dict[str, object], expected: bool
) -> None:
    assert holds(tree, customer(**fields)) is expected


# A customer with nothing filled in: every optional field missing.
MISSING_CASES = [
    (leaf("region", "eq", "East"), False),
    (leaf("region", "ne", "East"), True),
    (leaf("region", "in", ["East"]), False),
    (leaf("region", "not_in", ["East"]), True),
    (leaf("region", "contains", "a"), False),
    (leaf("region", "starts_with", "a"), False),
    (leaf("region", "regex", "^$"), False),
    (leaf("region", "regex", ".*"), False),
    (leaf("region", "is_empty"), True),
    (leaf("region", "is_not_empty"), False),
    (leaf("custom.tier", "eq", "gold"), False),
    (leaf("custom.tier", "ne", "gold"), True),
    (leaf("custom.tier", "not_in", ["gold"]), True),
    (leaf("employees", "eq", 0), False),
    (leaf("employees", "ne", 0), True),
    (leaf("employees", "in", [0]), False),
    (leaf("employees", "not_in", [0]), True),
    (leaf("employees", "gt", -1), False),
    (leaf("employees", "gte", 0), False),
    (leaf("employees", "lt", 1), False),
    (leaf("employees", "lte", 0), False),
    (leaf("employees", "between", [-1, 1]), False),
    (leaf("custom.first_met", "eq", "2024-05-01"), False),
    (leaf("custom.first_met", "ne", "2024-05-01"), True),
    (leaf("custom.first_met", "not_in", ["2024-05-01"]), True),
    (leaf("custom.first_met", "lt", "2199-01-01"), False),
    (leaf("custom.first_met", "within_days", 36500), False),
    (leaf("custom.first_met", "older_than_days", 1), False),
    (leaf("created_at", "lt", "2199-01-01"), False),
    (leaf("created_at", "between", ["1900-01-01", "2199-01-01"]), False),
    (leaf("created_at", "within_days", 36500), False),
    (leaf("created_at", "older_than_days", 1), False),
    (leaf("created_at", "in_business_hours", {"weekdays": [0, 1, 2, 3, 4, 5, 6]}), False),
    (leaf("created_at", "is_empty"), True),
    (leaf("tags", "contains", "vip"), False),
    (leaf("tags", "in", ["vip"]), False),
    (leaf("tags", "not_in", ["vip"]), True),
    (leaf("tags", "is_empty"), True),
]


@pytest.mark.parametrize(
    ("tree", "expected"),
    MISSING_CASES,
    ids=[f"{t['field']}-{t['op']}-{i}" for i, (t, _) in enumerate(MISSING_CASES)],
)
def test_a_missing_value_fails_every_op_but_is_empty_ne_and_not_in(
    tree: dict[str, object], expected: bool
) -> None:
    assert holds(tree, customer()) is expected


# --- time ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "within", "older"),
    [
        (timedelta(days=7), True, False),  # exactly seven days old: within, not older
        (timedelta(days=7, microseconds=1), False, True),
        (timedelta(days=6, hours=23), True, False),
        (timedelta(days=-1), True, False),  # in the future: within
    ],
)
def test_within_and_older_than_days_split_at_exactly_n_days_before_now(
    age: timedelta, within: bool, older: bool
) -> None:
    who = customer(last_follow_up_at=NOW - age)
    assert holds(leaf("last_follow_up_at", "within_days", 7), who) is within
    assert holds(leaf("last_follow_up_at", "older_than_days", 7), who) is older


def test_within_days_takes_fractions_of_a_day() -> None:
    who = customer(created_at=NOW - timedelta(hours=11))
    assert holds(leaf("created_at", "within_days", 0.5), who)
    assert not holds(leaf("created_at", "within_days", 0.25), who)


@pytest.mark.parametrize(
    ("first_met", "within", "older"),
    [("2024-05-08", True, False), ("2024-05-07", False, True), ("2024-05-15", True, False)],
)
@pytest.mark.parametrize(
    "now",
    [NOW, datetime(2024, 5, 14, 16, 0, tzinfo=UTC), datetime(2024, 5, 15, 15, 59, tzinfo=UTC)],
    ids=["noon-in-shanghai", "midnight-in-shanghai", "23:59-in-shanghai"],
)
def test_days_on_a_date_field_count_back_from_today_in_shanghai(
    first_met: str, within: bool, older: bool, now: datetime
) -> None:
    who = customer(custom={"first_met": first_met})
    assert holds(leaf("custom.first_met", "within_days", 7), who, now) is within
    assert holds(leaf("custom.first_met", "older_than_days", 7), who, now) is older


def test_a_date_fields_today_moves_with_now() -> None:
    predicate = compile_conditions(
        parse_conditions(leaf("custom.first_met", "within_days", 1), CATALOG)
    )
    who = customer(custom={"first_met": "2024-05-14"})
    assert predicate(who, NOW)
    assert not predicate(who, NOW + timedelta(days=1))
    assert predicate(who, NOW)


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        (datetime(2024, 5, 15, 0, 59, tzinfo=UTC), False),  # Wed 08:59 in Shanghai
        (datetime(2024, 5, 15, 1, 0, tzinfo=UTC), True),  # Wed 09:00
        (datetime(2024, 5, 15, 9, 59, tzinfo=UTC), True),  # Wed 17:59
        (datetime(2024, 5, 15, 10, 0, tzinfo=UTC), False),  # Wed 18:00: the end is exclusive
        (datetime(2024, 5, 17, 3, 0, tzinfo=UTC), True),  # Fri 11:00
        (datetime(2024, 5, 18, 3, 0, tzinfo=UTC), False),  # Sat 11:00
        (datetime(2024, 5, 19, 1, 0, tzinfo=UTC), False),  # Sun 09:00
        (datetime(2024, 5, 20, 1, 0, tzinfo=UTC), True),  # Mon 09:00
    ],
)
def test_business_hours_default_to_weekdays_nine_to_six_in_shanghai(
    created_at: datetime, expected: bool
) -> None:
    tree = leaf("created_at", "in_business_hours")
    assert holds(tree, customer(created_at=created_at)) is expected


def test_business_hours_follow_the_zone_weekdays_and_hours_given() -> None:
    weekend = {"time_zone": "America/New_York", "weekdays": [5, 6], "hours": ["10:00", "24:00"]}
    tree = leaf("created_at", "in_business_hours", weekend)
    saturday_10_am_new_york = datetime(2024, 5, 18, 14, 0, tzinfo=UTC)
    assert holds(tree, customer(created_at=saturday_10_am_new_york))
    assert holds(
        tree, customer(created_at=saturday_10_am_new_york + timedelta(hours=13, minutes=59))
    )
    assert not holds(tree, customer(created_at=saturday_10_am_new_york - timedelta(minutes=1)))
    friday_noon_new_york = datetime(2024, 5, 17, 16, 0, tzinfo=UTC)
    assert not holds(tree, customer(created_at=friday_noon_new_york))


def test_a_datetime_without_an_offset_is_read_in_the_rules_time_zone() -> None:
    tree = leaf("created_at", "gte", "2024-05-10T09:00")
    who = customer(created_at=datetime(2024, 5, 10, 1, 0, tzinfo=UTC))
    assert compile_conditions(parse_conditions(tree, CATALOG))(who, NOW)
    in_utc = parse_conditions(tree, CATALOG, time_zone="UTC")
    assert not compile_conditions(in_utc)(who, NOW)


# --- regex safety ----------------------------------------------------------------------


def test_a_catastrophic_backtracking_pattern_runs_in_linear_time_on_re2() -> None:
    tree = leaf("custom.wechat_group", "regex", "(a+)+$")
    predicate = compile_conditions(parse_conditions(tree, CATALOG))
    # Python's re would backtrack for longer than the age of the universe here.
    assert not predicate(customer(custom={"wechat_group": "a" * 50_000 + "!"}), NOW)
    assert predicate(customer(custom={"wechat_group": "a" * 50_000}), NOW)


def test_a_pattern_of_exactly_two_hundred_characters_is_accepted() -> None:
    assert isinstance(parse_conditions(leaf("phone", "regex", "1" * 200), CATALOG), Leaf)


@pytest.mark.parametrize(
    ("pattern", "text"),
    [("é+b", "xéébz"), ("é+b", "xéz"), (r"^\d{3}$", "123"), ("^$", ""), ("华东", "上海华东区")],
)
def test_the_fast_regex_search_agrees_with_re2s_public_search(pattern: str, text: str) -> None:
    compiled = re2.compile(pattern, _regex._OPTIONS)
    assert _regex.compile_search(pattern)(text) is _regex._public_search(compiled)(text)


# --- explanations ----------------------------------------------------------------------

RULE = {
    "all": [
        leaf("region", "eq", "East"),
        leaf("level", "in", ["A", "B"]),
        leaf("employees", "gte", 100),
    ]
}


@pytest.mark.parametrize(
    ("tree", "fields", "why"),
    [
        (RULE, {"region": "West", "level": "C"}, "region = 'East' (was 'West')"),
        (RULE, {"region": "east", "level": "C"}, "level in ('A', 'B') (was 'C')"),
        (RULE, {"region": "East", "level": "a", "employees": 20}, "employees >= 100 (was 20)"),
        (RULE, {"level": "A"}, "region = 'East' (was empty)"),
        (RULE, {"region": "East", "level": "A", "employees": 100}, None),
        (
            {"any": [leaf("region", "eq", "East"), leaf("level", "in", ["A", "B"])]},
            {"region": "West", "level": "C"},
            "none of: region = 'East' (was 'West'); level in ('A', 'B') (was 'C')",
        ),
        (
            {"not": leaf("region", "eq", "East")},
            {"region": "EAST"},
            "not (region = 'East'), but it matched (was 'EAST')",
        ),
        (
            {"not": {"all": [leaf("region", "eq", "East"), leaf("level", "eq", "A")]}},
            {"region": "East", "level": "A"},
            "not (region = 'East' and level = 'A'), but it matched",
        ),
        (
            leaf("revenue", "between", [1000, 5000]),
            {"revenue": Decimal("12000.00")},
            "revenue between 1000 and 5000 (was 12000)",
        ),
        (
            leaf("tags", "contains", "vip"),
            {"tags": ["new", "key"]},
            "tags contains 'vip' (was ['new', 'key'])",
        ),
        (leaf("stage", "eq", "won"), {"stage": Stage.lost}, "stage = 'won' (was 'lost')"),
        (
            leaf("created_at", "within_days", 7),
            {"created_at": datetime(2024, 5, 1, tzinfo=UTC)},
            "created_at within 7 days (was 2024-05-01T00:00:00+00:00)",
        ),
        (
            leaf("phone", "regex", "^139"),
            {"phone": "13812345678"},
            "phone matches /^139/ (was '13812345678')",
        ),
    ],
)
def test_first_failure_names_the_test_that_failed_and_the_value_seen(
    tree: object, fields: dict[str, object], why: str | None
) -> None:
    assert failure(tree, customer(**fields)) == why


@pytest.mark.parametrize(
    ("tree", "text"),
    [
        (RULE, "region = East and level in (A, B) and employees >= 100"),
        (
            {
                "all": [
                    leaf("region", "eq", "East"),
                    {"any": [leaf("level", "eq", "A"), leaf("level", "eq", "B")]},
                ]
            },
            "region = East and (level = A or level = B)",
        ),
        (
            {
                "any": [
                    {"all": [leaf("region", "eq", "East"), leaf("level", "eq", "A")]},
                    leaf("score", "gt", 90),
                ]
            },
            "(region = East and level = A) or score > 90",
        ),
        (
            {
                "all": [
                    {"all": [leaf("region", "ne", "East")]},
                    {"any": [leaf("level", "not_in", ["C"])]},
                ]
            },
            "region != East and level not in (C)",
        ),
        ({"not": leaf("source", "is_empty")}, "not (source is empty)"),
        (leaf("email", "is_not_empty"), "email is not empty"),
        (leaf("employees", "between", [10, 50]), "employees between 10 and 50"),
        (leaf("score", "lte", 60.5), "score <= 60.5"),
        (leaf("score", "lt", 60), "score < 60"),
        (leaf("score", "gte", 60), "score >= 60"),
        (leaf("company_name", "contains", "Ltd"), "company_name contains Ltd"),
        (leaf("phone", "starts_with", "138"), "phone starts with 138"),
        (leaf("phone", "regex", r"^1[38]\d+"), r"phone matches /^1[38]\d+/"),
        (leaf("created_at", "within_days", 7), "created_at within 7 days"),
        (leaf("last_follow_up_at", "older_than_days", 30), "last_follow_up_at older than 30 days"),
        (
            leaf("created_at", "in_business_hours"),
            "created_at in business hours (Mon-Fri 09:00-18:00 Asia/Shanghai)",
        ),
        (
            leaf(
                "created_at",
                "in_business_hours",
                {"weekdays": [5, 0], "hours": ["00:00", "24:00"], "time_zone": "UTC"},
            ),
            "created_at in business hours (Mon, Sat 00:00-24:00 UTC)",
        ),
        ({}, "always"),
    ],
)
def test_describe_reads_a_whole_tree_as_one_line(tree: object, text: str) -> None:
    assert describe(parse_conditions(tree, CATALOG)) == text


# --- rule indexing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tree", "keys"),
    [
        (leaf("region", "eq", " East "), {"region": frozenset({"east"})}),
        (leaf("stage", "in", ["WON", "lost"]), {"stage": frozenset({"won", "lost"})}),
        (RULE, {"region": frozenset({"east"}), "level": frozenset({"a", "b"})}),
        (
            {"all": [{"all": [leaf("city", "eq", "上海")]}, leaf("score", "gt", 50)]},
            {"city": frozenset({"上海"})},
        ),
        (
            {"any": [leaf("region", "eq", "East"), leaf("region", "in", ["West", "North"])]},
            {"region": frozenset({"east", "west", "north"})},
        ),
        (
            {"all": [leaf("level", "in", ["A", "B"]), leaf("level", "in", ["b", "C"])]},
            {"level": frozenset({"b"})},
        ),
        (
            {"all": [leaf("level", "eq", "A"), leaf("level", "eq", "B")]},
            {"level": frozenset()},  # can never match
        ),
        (
            {"all": [leaf("custom.tier", "eq", "Gold"), {"not": leaf("region", "eq", "x")}]},
            {"custom.tier": frozenset({"gold"})},
        ),
    ],
)
def test_equality_keys_are_the_values_a_customer_must_equal(
    tree: object, keys: dict[str, frozenset[str]]
) -> None:
    assert equality_keys(parse_conditions(tree, CATALOG)) == keys


@pytest.mark.parametrize(
    "tree",
    [
        {},
        leaf("region", "ne", "East"),
        leaf("region", "not_in", ["East"]),
        leaf("employees", "eq", 5),
        leaf("custom.first_met", "eq", "2024-05-01"),
        leaf("tags", "in", ["vip"]),
        leaf("company_name", "contains", "Ltd"),
        {"not": leaf("region", "eq", "East")},
        {"any": [leaf("region", "eq", "East"), leaf("level", "eq", "A")]},
        {"any": [leaf("region", "eq", "East"), leaf("score", "gt", 5)]},
        {
            "all": [
                leaf("score", "gt", 5),
                {"any": [leaf("level", "eq", "A"), leaf("city", "eq", "x")]},
            ]
        },
    ],
)
def test_equality_keys_are_none_without_a_required_equality(tree: object) -> None:
    assert equality_keys(parse_conditions(tree, CATALOG)) is None


def test_an_index_key_is_normalised_the_way_eq_compares() -> None:
    assert normalise_key(" EAST ") == "east"
    assert normalise_key(Stage.won) == "won"


# --- compiled trees agree with a plain reference interpreter ---------------------------

TEXTS = ["East", " east", "WEST", "North", "A", "b"]
DAYS = ["2024-05-01", "2024-05-10", "2024-05-14"]
INSTANTS = ["2024-05-10T02:00:00+00:00", "2024-05-14T09:30:00+08:00", "2024-05-15T04:00:00Z"]
NUMBERS = [0, 10, 50.5, 100]
ORDER = ["gt", "gte", "lt", "lte"]


TEXT = st.sampled_from(TEXTS)
NUMBER = st.sampled_from(NUMBERS)
# (fields, ops, values): every combination is a valid leaf
LEAF_SHAPES: list[tuple[list[str], list[str], st.SearchStrategy[Any]]] = [
    (["region", "level"], ["eq", "ne", "contains", "starts_with"], TEXT),
    (["region", "level", "tags"], ["in", "not_in"], st.lists(TEXT, min_size=1, max_size=3)),
    (["region"], ["regex"], st.sampled_from(["^E", "(?i)^e", "st$", "^$", "o"])),
    (["tags"], ["contains"], TEXT),
    (["stage"], ["eq", "ne"], st.sampled_from([s.value for s in Stage])),
    (["employees", "score", "revenue", "custom.budget"], ["eq", "ne", *ORDER], NUMBER),
    (["employees", "score"], ["in", "not_in"], st.lists(NUMBER, min_size=1, max_size=3)),
    (["employees", "score"], ["between"], st.lists(NUMBER, min_size=2, max_size=2).map(sorted)),
    (["created_at", "last_follow_up_at"], ORDER, st.sampled_from(INSTANTS)),
    (["created_at"], ["within_days", "older_than_days"], st.sampled_from([0.5, 1, 5, 30])),
    ([MET], ["eq", "ne", *ORDER], st.sampled_from(DAYS)),
]
NO_VALUE_SHAPES = [
    (["region", "employees", "tags", "created_at", MET], ["is_empty", "is_not_empty"]),
    (["created_at", "last_follow_up_at"], ["in_business_hours"]),
]
LEAVES = st.one_of(
    *(
        st.builds(leaf, st.sampled_from(fields), st.sampled_from(ops), values)
        for fields, ops, values in LEAF_SHAPES
    ),
    *(st.builds(leaf, st.sampled_from(f), st.sampled_from(o)) for f, o in NO_VALUE_SHAPES),
)
TREES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=4).map(lambda items: {"all": items}),
        st.lists(children, min_size=1, max_size=4).map(lambda items: {"any": items}),
        children.map(lambda child: {"not": child}),
    ),
    max_leaves=12,
)
HOURS_AGO = (0, 3, 3.001, 11, 24, 120, 500)  # 3 hours before NOW is 09:00 in Shanghai
MOMENTS = st.sampled_from([None, *(NOW - timedelta(hours=h) for h in HOURS_AGO)])
CUSTOMERS = st.builds(
    customer,
    region=st.sampled_from([None, "", *TEXTS]),
    level=st.sampled_from([None, *TEXTS]),
    stage=st.sampled_from(list(Stage)),
    employees=st.sampled_from([None, *(int(n) for n in NUMBERS)]),
    score=st.sampled_from([None, *(float(n) for n in NUMBERS)]),
    revenue=st.sampled_from([None, Decimal("10.00"), Decimal("50.50")]),
    tags=st.lists(st.sampled_from(TEXTS), max_size=3),
    created_at=MOMENTS,
    last_follow_up_at=MOMENTS,
    custom=st.fixed_dictionaries(
        {},
        optional={"budget": st.sampled_from(NUMBERS), "first_met": st.sampled_from(DAYS)},
    ),
)


@settings(max_examples=400, deadline=None, database=None)
@given(tree=TREES, who=CUSTOMERS)
def test_compiled_trees_agree_with_the_reference_interpreter(
    tree: dict[str, Any], who: Customer
) -> None:
    node = parse_conditions(tree, CATALOG)
    predicate = compile_conditions(node)
    expected = reference(tree, who, NOW)
    assert predicate(who, NOW) is expected
    assert (predicate.first_failure(who, NOW) is None) is expected
    keys = equality_keys(node)
    for field, accepted in (keys or {}).items():
        value = CATALOG[field].get(who)
        if value is None or normalise_key(value) not in accepted:
            assert not expected  # the rule index may skip this rule for this customer
