"""Compiled predicates where mutation testing found gaps: ``any`` groups holding a
time-based test, checked against the reference interpreter; the per-``now`` memo; repr;
the fast RE2 path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product
from typing import Any

import pytest

from fenpei.domain.customers import Customer
from fenpei.engine import _regex
from fenpei.engine._leaves import _per_now
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.fields import field_catalog
from tests._reference import reference

NOW = datetime(2024, 5, 15, 4, 0, tzinfo=UTC)  # Wednesday, 12:00 in Shanghai
CATALOG = field_catalog()
RECENT = {"field": "created_at", "op": "within_days", "value": 7}
EAST = {"field": "region", "op": "eq", "value": "East"}
LEVEL_A = {"field": "level", "op": "eq", "value": "A"}
CUSTOMERS = [
    Customer(name="C", created_at=created, region=region, level=level)
    for created, region, level in product(
        (NOW - timedelta(days=1), NOW - timedelta(days=30), None), ("East", "West"), ("A", "B")
    )
]


@pytest.mark.parametrize(
    "tree",
    [
        {"any": [RECENT, EAST]},
        {"any": [EAST, RECENT]},
        {"any": [LEVEL_A, EAST, RECENT]},
        {"any": [RECENT, LEVEL_A, EAST]},
    ],
)
def test_an_any_group_with_a_time_based_test_agrees_with_the_reference(
    tree: dict[str, Any],
) -> None:
    predicate = compile_conditions(parse_conditions(tree, CATALOG))

    for who in CUSTOMERS:
        assert predicate(who, NOW) is reference(tree, who, NOW), who


def test_a_value_worked_out_for_a_moment_is_reused_until_the_moment_changes() -> None:
    asked: list[datetime] = []

    def cutoff(now: datetime) -> datetime:
        asked.append(now)
        return now - timedelta(days=7)

    remembered = _per_now(cutoff)
    later = NOW + timedelta(hours=1)

    assert [remembered(NOW), remembered(NOW), remembered(later), remembered(later)] == [
        NOW - timedelta(days=7),
        NOW - timedelta(days=7),
        later - timedelta(days=7),
        later - timedelta(days=7),
    ]
    assert asked == [NOW, later]


def test_a_predicate_shows_its_conditions_when_printed() -> None:
    predicate = compile_conditions(parse_conditions({"all": [EAST, LEVEL_A]}, CATALOG))

    assert repr(predicate) == "Predicate('region = East and level = A')"


def test_the_installed_google_re2_passes_the_probe_for_the_fast_search() -> None:
    # If an upgrade changes RE2's internals the probe fails and routing falls back to the
    # public search (correct, about 6x slower): this test says so instead of staying quiet.
    assert _regex._raw_search_works() is True


def test_a_failed_any_with_a_time_based_test_explains_every_part_at_the_time_given() -> None:
    predicate = compile_conditions(parse_conditions({"any": [RECENT, EAST]}, CATALOG))
    old_west = Customer(name="C", created_at=NOW - timedelta(days=30), region="West")
    new_west = Customer(name="C", created_at=NOW - timedelta(days=1), region="West")

    assert predicate.first_failure(old_west, NOW) == (
        "none of: created_at within 7 days (was 2024-04-15T04:00:00+00:00);"
        " region = 'East' (was 'West')"
    )
    assert predicate.first_failure(new_west, NOW) is None
