"""Conditions as people read them: weekday ranges, brackets only where and/or mix, and
quoting carried into every part of the tree."""

from __future__ import annotations

from typing import Any

import pytest

from fenpei.engine.conditions import Leaf, describe, leaf_text, normalise_key, parse_conditions
from fenpei.engine.fields import field_catalog

CATALOG = field_catalog()
EAST = {"field": "region", "op": "eq", "value": "East"}
LEVEL_A = {"field": "level", "op": "eq", "value": "A"}
LEVEL_B = {"field": "level", "op": "eq", "value": "B"}


def text(tree: dict[str, Any], *, quoted: bool = False) -> str:
    return describe(parse_conditions(tree, CATALOG), quoted=quoted)


@pytest.mark.parametrize(
    ("weekdays", "shown"),
    [
        ([0, 1, 2], "Mon-Wed"),  # three days in a row or more read as a range
        ([2, 3, 4], "Wed-Fri"),
        ([4, 5, 6, 3], "Thu-Sun"),
        ([5, 6], "Sat, Sun"),  # two days read as two days
        ([0, 2, 3, 4], "Mon, Wed, Thu, Fri"),
        ([6], "Sun"),
    ],
)
def test_business_hours_name_their_weekdays_as_a_range_only_from_three_days_in_a_row(
    weekdays: list[int], shown: str
) -> None:
    tree = {"field": "created_at", "op": "in_business_hours", "value": {"weekdays": weekdays}}

    assert text(tree) == f"created_at in business hours ({shown} 09:00-18:00 Asia/Shanghai)"


def test_groups_of_the_same_kind_nested_read_without_brackets() -> None:
    assert text({"all": [{"all": [EAST, LEVEL_A]}, LEVEL_B]}) == (
        "region = East and level = A and level = B"
    )
    assert text({"any": [EAST, {"any": [LEVEL_A, LEVEL_B]}]}) == (
        "region = East or level = A or level = B"
    )


def test_a_group_of_the_other_kind_is_bracketed_when_it_has_several_parts() -> None:
    assert text({"all": [EAST, {"any": [LEVEL_A, LEVEL_B]}]}) == (
        "region = East and (level = A or level = B)"
    )


def test_quoting_reaches_inside_a_not() -> None:
    assert text({"not": EAST}, quoted=True) == "not (region = 'East')"
    assert text({"all": [{"not": EAST}, LEVEL_A]}, quoted=True) == (
        "not (region = 'East') and level = 'A'"
    )


def test_a_between_of_dates_quotes_both_ends_when_quoted() -> None:
    may = {"field": "created_at", "op": "between", "value": ["2024-05-01", "2024-05-31"]}

    assert text(may, quoted=True) == "created_at between '2024-05-01' and '2024-05-31'"
    assert text(may) == "created_at between 2024-05-01 and 2024-05-31"


def test_a_single_field_test_reads_unquoted_unless_asked() -> None:
    east = parse_conditions(EAST, CATALOG)
    assert isinstance(east, Leaf)

    assert leaf_text(east) == "region = East"
    assert leaf_text(east, quoted=True) == "region = 'East'"


def test_normalise_key_reads_any_value_as_folded_text() -> None:
    assert normalise_key(" East ") == "east"
    assert normalise_key(12) == "12"
    assert normalise_key(True) == "true"
