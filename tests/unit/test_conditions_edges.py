"""Condition errors at their edges: how much of a bad value a message quotes, which item
of a list it names, and the shapes of value each op refuses."""

from __future__ import annotations

import pytest

from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.errors import ValidationFailed
from fenpei.engine.conditions import Leaf, parse_conditions
from fenpei.engine.fields import field_catalog

CATALOG = field_catalog([CustomField(key="renewal", label="Renewal", kind=FieldKind.date)])
ISO = "an ISO date or date-time (2024-05-01, 2024-05-01T09:00+08:00)"


def refusal(tree: object) -> tuple[str, str]:
    """The one error ``tree`` gets: its path and message."""
    with pytest.raises(ValidationFailed) as caught:
        parse_conditions(tree, CATALOG)
    [error] = caught.value.errors
    return error.field, error.message


def field_error(tree: object) -> str:
    return refusal(tree)[1]


def test_a_bad_value_is_quoted_whole_up_to_forty_characters() -> None:
    name = "q" * 38  # quoted: 40 characters

    assert field_error({"field": name, "op": "eq", "value": "x"}) == f"unknown field '{name}'"


def test_a_longer_bad_value_is_cut_to_forty_characters_ending_in_dots() -> None:
    name = "q" * 39  # quoted: 41 characters

    message = field_error({"field": name, "op": "eq", "value": "x"})

    assert message == "unknown field '" + "q" * 36 + "..."
    assert len(message.removeprefix("unknown field ")) == 40


@pytest.mark.parametrize(
    ("field", "op", "value", "path", "wanted"),
    [
        (
            "custom.renewal",
            "between",
            ["2024-13-01", "2024-05-31"],
            "value[0]",
            "a date (YYYY-MM-DD)",
        ),
        ("custom.renewal", "between", ["2024-01-01", "June"], "value[1]", "a date (YYYY-MM-DD)"),
        ("custom.renewal", "in", ["2024-01-01", "May"], "value[1]", "a date (YYYY-MM-DD)"),
        ("created_at", "between", ["soon", "2024-05-31"], "value[0]", ISO),
        ("created_at", "between", ["2024-05-01", "later"], "value[1]", ISO),
        ("employees", "between", [1, "many"], "value[1]", "a number"),
        ("employees", "between", ["few", 9], "value[0]", "a number"),
        ("employees", "in", [1, 10**400], "value[1]", "a finite number"),
        ("employees", "in", [1, float("inf")], "value[1]", "a finite number"),
        ("employees", "in", [float("nan"), 1], "value[0]", "a finite number"),
        ("region", "in", ["East", " "], "value[1]", "non-empty text"),
    ],
)
def test_a_bad_item_in_a_list_is_named_by_its_position(
    field: str, op: str, value: list[object], path: str, wanted: str
) -> None:
    where, message = refusal({"field": field, "op": op, "value": value})

    assert where == f"conditions.{path}"
    assert wanted in message


@pytest.mark.parametrize("value", [5, 2024.5, "2024-05-01T09", "20240501T0900"])
def test_a_datetime_value_that_is_not_iso_text_is_refused_with_the_format(value: object) -> None:
    where, message = refusal({"field": "created_at", "op": "gt", "value": value})

    assert where == "conditions.value"
    assert message == f"'gt' on datetime field 'created_at' needs {ISO}, got {value!r}"


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"weekdays": []}, "conditions.value.weekdays"),
        ({"hours": ["09:00"]}, "conditions.value.hours"),
        ({"hours": ["09:00", "12:00", "18:00"]}, "conditions.value.hours"),
        ({"hours": ["09:00", "09:00"]}, "conditions.value.hours"),  # an empty window
    ],
)
def test_business_hours_refuse_no_weekdays_and_any_hours_but_a_start_before_an_end(
    value: dict[str, object], path: str
) -> None:
    where, _ = refusal({"field": "created_at", "op": "in_business_hours", "value": value})

    assert where == path


@pytest.mark.parametrize(
    ("field", "days", "message"),
    [
        ("custom.renewal", 0.5, "needs a positive whole number of days (at most 36500), got 0.5"),
        ("custom.renewal", 0, "needs a positive whole number of days, got 0"),
        ("created_at", 36501, "needs a positive number of days (at most 36500), got 36501"),
        ("created_at", -1, "needs a positive number of days, got -1"),
    ],
)
def test_a_refused_age_names_the_upper_limit_unless_it_was_not_positive(
    field: str, days: float, message: str
) -> None:
    where, said = refusal({"field": field, "op": "within_days", "value": days})

    assert where == "conditions.value"
    assert said.endswith(message)


def test_an_in_list_takes_up_to_a_thousand_values() -> None:
    values = [f"r{i}" for i in range(1000)]

    assert parse_conditions({"field": "region", "op": "in", "value": values}, CATALOG)
    assert refusal({"field": "region", "op": "in", "value": [*values, "r1000"]}) == (
        "conditions.value",
        "'in' takes at most 1000 values, got 1001",
    )


def test_groups_count_toward_the_depth_limit_as_not_does() -> None:
    def nested(levels: int, group: str) -> dict[str, object]:
        node: dict[str, object] = {"field": "region", "op": "eq", "value": "East"}
        for _ in range(levels - 1):
            node = {group: [node]}
        return node

    for group in ("all", "any"):
        assert parse_conditions(nested(20, group), CATALOG)
        where, message = refusal(nested(21, group))

        assert where == "conditions" + f".{group}[0]" * 20
        assert message == "is nested more than 20 levels deep"


def test_an_op_that_is_not_text_is_refused_with_the_ops_of_the_field() -> None:
    ops = "eq, ne, in, not_in, contains, starts_with, regex, is_empty, is_not_empty"

    assert refusal({"field": "region", "op": 5, "value": "East"}) == (
        "conditions.op",
        f"unknown op 5 (one of {ops})",
    )


def test_a_condition_object_without_a_field_is_read_as_a_field_test_missing_its_field() -> None:
    assert refusal({"op": "eq", "value": "East"}) == (
        "conditions.field",
        "needs a field name, got None",
    )


def test_a_key_that_is_not_text_is_refused_by_name() -> None:
    tree = {"field": "region", "op": "eq", "value": "East", 5: "x"}

    assert refusal(tree) == ("conditions", "unknown key 5")


def test_a_test_written_without_a_value_keeps_none_as_its_value() -> None:
    empty = parse_conditions({"field": "source", "op": "is_empty"}, CATALOG)
    assert isinstance(empty, Leaf)

    assert empty.value is None


@pytest.mark.parametrize("zone", [5, None, "", "  ", "Mars/Olympus"])
def test_business_hours_in_an_unknown_zone_are_refused_naming_it(zone: object) -> None:
    tree = {"field": "created_at", "op": "in_business_hours", "value": {"time_zone": zone}}

    where, message = refusal(tree)

    assert where == "conditions.value.time_zone"
    assert message.startswith(f"unknown time zone {zone!r}")
