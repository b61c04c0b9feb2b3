"""Compiled conditions where mutation testing of ``_leaves``, ``_compile`` and ``_regex``
found gaps: groups of every size passing the customer and the time to each part, the
explanation of blank and long values, and a rejected regex keeping stderr quiet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import permutations, product
from typing import Any

import pytest

from fenpei.domain.customers import Customer
from fenpei.domain.errors import ValidationFailed
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.fields import field_catalog
from tests._reference import reference

NOW = datetime(2024, 5, 15, 4, 0, tzinfo=UTC)  # Wednesday, 12:00 in Shanghai
CATALOG = field_catalog()
RECENT = {"field": "created_at", "op": "within_days", "value": 7}
EAST = {"field": "region", "op": "eq", "value": "East"}
LEVEL_A = {"field": "level", "op": "eq", "value": "A"}
BIG = {"field": "employees", "op": "gte", "value": 100}
CUSTOMERS = [
    Customer(name="C", created_at=created, region=region, level=level, employees=employees)
    for created, region, level, employees in product(
        (NOW - timedelta(days=1), NOW - timedelta(days=30), None),
        ("East", "West"),
        ("A", "B"),
        (500, 5),
    )
]


def predicate(tree: dict[str, Any]) -> Any:
    return compile_conditions(parse_conditions(tree, CATALOG))


# --- groups: each part sees the customer and the time ----------------------------------
# A time-based test (within 7 days of now) in every place of an all / any group of two,
# three and four parts: a part handed None for the customer or for now would crash or
# answer wrongly for some customer below.

GROUPS = [
    {kind: list(parts)}
    for kind in ("all", "any")
    for size in (2, 3, 4)
    for parts in permutations([RECENT, EAST, LEVEL_A, BIG], size)
]


def group_id(tree: dict[str, Any]) -> str:
    ((kind, parts),) = tree.items()
    return f"{kind}-{'-'.join(part['field'] for part in parts)}"


@pytest.mark.parametrize("tree", GROUPS, ids=group_id)
def test_a_group_of_any_size_decides_as_the_reference_with_a_time_based_part_anywhere(
    tree: dict[str, Any],
) -> None:
    compiled = predicate(tree)

    for who in CUSTOMERS:
        expected = reference(tree, who, NOW)
        assert compiled(who, NOW) is expected, who
        assert (compiled.first_failure(who, NOW) is None) is expected, who


# --- what an explanation shows of the customer's value ---------------------------------


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_text_value_is_explained_as_empty(blank: str) -> None:
    who = Customer(name="C", region=blank)

    assert predicate(EAST).first_failure(who, NOW) == "region = 'East' (was empty)"


def test_a_value_is_quoted_whole_up_to_sixty_characters_with_its_quotes() -> None:
    who = Customer(name="C", region="x" * 58)  # quoted: exactly 60 characters

    assert predicate(EAST).first_failure(who, NOW) == f"region = 'East' (was '{'x' * 58}')"


def test_a_longer_value_is_cut_to_fifty_seven_characters_and_three_dots() -> None:
    who = Customer(name="C", region="y" * 59)  # quoted: 61 characters

    assert predicate(EAST).first_failure(who, NOW) == f"region = 'East' (was '{'y' * 56}...)"


# --- regexes ---------------------------------------------------------------------------


def test_a_regex_that_does_not_compile_is_refused_without_a_word_on_stderr(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_conditions({"field": "phone", "op": "regex", "value": "(138"}, CATALOG)

    (error,) = caught.value.errors
    assert error.message == "'regex' pattern does not compile: missing ): (138"
    assert capfd.readouterr().err == ""
