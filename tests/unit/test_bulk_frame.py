"""The batch first match over an Arrow table's columns decides as the per-customer path
does on the same values, and a table that does not fit the field catalog is refused with
the column named."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from random import Random
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fenpei.domain.customers import Customer, Stage
from fenpei.engine import bulk
from fenpei.engine._bulk_scan import Scanner
from fenpei.engine.bulk import (
    TableColumns,
    first_matching_rules,
    first_matching_rules_in,
    route_many,
)
from fenpei.engine.model import RepState, Target, TargetKind
from fenpei.engine.router import CompiledRule, RoutingContext
from tests.unit.test_bulk import (
    ACCOUNTS,
    CATALOG,
    EVERY_LEAF,
    INSTANTS,
    LEAVES,
    NOW,
    NOWS,
    PLACES,
    TARGETS,
    TEAMS,
    as_batch_tells_it,
    compiled,
    customers,
    first_match_one_by_one,
    rep_states,
    route_one_by_one,
    rule_sets,
)

# every field the generated rules test
FIELDS = [
    "region",
    "city",
    "custom.group",
    "stage",
    "custom.tier",
    "employees",
    "score",
    "custom.budget",
    "created_at",
    "last_follow_up_at",
    "custom.first_met",
    "tags",
]
MOMENT_FIELDS = ("created_at", "last_follow_up_at")
ZONES = ["UTC", "America/New_York", "Asia/Shanghai"]  # New York is the zone of a `now`
WIDE = [None, "ＥＡＳＴ", "Ｅast", "east", "ｗｅｓｔ ", "北京"]  # full-width and mixed forms


def column(values: list[object], zone: str | None = None) -> Any:
    if zone is not None:
        return pa.array(values, type=pa.timestamp("us", tz=zone))
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # ints and floats mixed
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())


def table_of(people: Sequence[Customer], zone: str, layout: str) -> Any:
    """The customers' fields as the getters read them, datetimes in ``zone``; text as
    plain strings or dictionary-encoded, whole or split over two chunks."""
    columns = {}
    for name in FIELDS:
        values = list(map(CATALOG[name].get, people))
        array = column(values, zone if name in MOMENT_FIELDS else None)
        text = pa.types.is_string(array.type)
        if layout == "dictionary" and text:
            array = array.dictionary_encode()
        if layout in ("chunked", "dictionary chunks"):
            half = len(array) // 2
            chunks = [array[:half], array[half:]]
            if layout == "dictionary chunks" and text:  # a dictionary each: unified on read
                chunks = [chunk.dictionary_encode() for chunk in chunks]
            array = pa.chunked_array(chunks)
        columns[name] = array
    return pa.table(columns)


def from_row(row: dict[str, Any]) -> Customer:
    """A customer holding what the table holds: the per-customer path's input."""
    custom = {k.removeprefix("custom."): v for k, v in row.items() if k.startswith("custom.")}
    plain = {k: v for k, v in row.items() if not k.startswith("custom.")}
    plain["stage"] = Stage(plain["stage"])
    plain["tags"] = plain["tags"] or []
    return Customer(name="客户", custom=custom, **plain)


@st.composite
def wide_customers(draw: st.DrawFn) -> Customer:
    customer = draw(customers())
    customer.city = draw(st.sampled_from([customer.city, *WIDE]))
    return customer


# on and between the rules' constants (tests.unit.test_bulk.NUMBERS)
SCORES = [None, math.nan, -3.5, -3.0, -1.0, 0.0, 0.5, 1.0, 1.5, 2.5, 3.0, 5.0, 7.0, 1e20, 1e21]
EMPLOYEES = [None, -7, -3, 0, 1, 2, 3, 5, 6]
# instants the rules compare with (tests.unit.test_bulk.INSTANTS and ages back from NOW),
# and a microsecond either side of each
BOUNDS = [datetime.fromisoformat(i.replace("Z", "+00:00")) for i in INSTANTS] + [
    NOW - timedelta(days=days) for days in (1, 2.5, 30)
]
MICRO = timedelta(microseconds=1)
NEAR_BOUNDS = [b + shift for b in BOUNDS for shift in (-MICRO, timedelta(0), MICRO)]
VARIANTS = {
    "score": st.sampled_from([*SCORES, math.inf]),
    "employees": st.sampled_from(EMPLOYEES),
    "city": st.sampled_from([*PLACES, *WIDE]),
    "created_at": st.sampled_from(NEAR_BOUNDS),
    "last_follow_up_at": st.sampled_from([None, *NEAR_BOUNDS]),
}


@st.composite
def alike_customers(draw: st.DrawFn) -> list[Customer]:
    """A customer and a few copies differing from it in one field only: rows that only
    that field's classes tell apart, so a grouping that merges them is caught."""
    base = draw(wide_customers())
    field = draw(st.sampled_from(sorted(VARIANTS)))
    values = draw(st.lists(VARIANTS[field], min_size=1, max_size=4))
    return [base, *(replace(base, **{field: value}) for value in values)]


@st.composite
def leaf_rules(draw: st.DrawFn) -> list[CompiledRule]:
    """A few one-leaf rules: each decides on its leaf alone, so a group that wrongly holds
    rows its leaf tells apart changes a first match."""
    leaves = draw(st.lists(LEAVES, min_size=1, max_size=6))
    return [compiled(n + 1, leaf, Target(TargetKind.pool)) for n, leaf in enumerate(leaves)]


@settings(max_examples=200, deadline=None)
@given(
    rules=st.one_of(rule_sets(st.just(Target(TargetKind.pool)), most=8), leaf_rules()),
    alike=alike_customers(),
    picks=st.lists(st.integers(0, 4), min_size=40, max_size=60),
    now=st.sampled_from(NOWS),
    zone=st.sampled_from(ZONES),
)
def test_first_matches_over_many_alike_customers_agree_whether_grouped_or_not(
    rules: list[CompiledRule],
    alike: list[Customer],
    picks: list[int],
    now: datetime,
    zone: str,
) -> None:
    # few distinct customers, many rows: the scan groups the rows unless a leaf forbids it
    table = table_of([alike[i % len(alike)] for i in picks], zone, "plain")
    held = [from_row(row) for row in table.to_pylist()]
    expected = first_match_one_by_one(held, rules, now)
    assert first_matching_rules_in(table, rules, CATALOG, now=now) == expected
    assert first_matching_rules(held, rules, CATALOG, now=now) == expected


ONE_FIELD_LEAVES = {f: [leaf for leaf in EVERY_LEAF if leaf["field"] == f] for f in VARIANTS}


@settings(max_examples=200, deadline=None)
@given(
    base=wide_customers(),
    field=st.sampled_from(sorted(VARIANTS)),
    data=st.data(),
    now=st.sampled_from(NOWS),
    zone=st.sampled_from(ZONES),
)
def test_rows_that_one_field_tells_apart_are_decided_apart(
    base: Customer, field: str, data: st.DataObject, now: datetime, zone: str
) -> None:
    values = data.draw(st.lists(VARIANTS[field], min_size=2, max_size=6))
    leaves = data.draw(st.lists(st.sampled_from(ONE_FIELD_LEAVES[field]), min_size=1, max_size=4))
    rules = [compiled(n + 1, leaf, Target(TargetKind.pool)) for n, leaf in enumerate(leaves)]
    people = [replace(base, **{field: value}) for value in values] * 8  # grouped: 8 alike
    table = table_of(people, zone, "plain")
    held = [from_row(row) for row in table.to_pylist()]
    expected = first_match_one_by_one(held, rules, now)
    assert first_matching_rules_in(table, rules, CATALOG, now=now) == expected
    assert first_matching_rules(held, rules, CATALOG, now=now) == expected


def test_territory_rules_over_repeated_customers_are_scanned_once_per_group() -> None:
    trees = [
        {
            "all": [
                {"field": "region", "op": "eq", "value": "east"},
                {"field": "employees", "op": "gt", "value": 10},
            ]
        },
        {
            "any": [
                {"field": "city", "op": "in", "value": ["北京", "west"]},
                {"field": "created_at", "op": "within_days", "value": 2},
            ]
        },
        {"field": "score", "op": "between", "value": [0, 2.5]},
        {},
    ]
    rules = [compiled(n + 1, tree, Target(TargetKind.pool)) for n, tree in enumerate(trees)]
    alike = [
        Customer(name="a", region=" EAST", employees=11),
        Customer(name="b", region="east", employees=10, city="ＷＥＳＴ"),
        Customer(name="c", city="West ", score=2.5, created_at=NOW - timedelta(days=1)),
        Customer(name="d", score=math.nan, created_at=NOW - timedelta(days=3)),
        Customer(name="e", region="west", employees=None),
    ]
    people = [alike[n % 5] for n in range(100)]
    table = table_of(people, "UTC", "plain")
    held = [from_row(row) for row in table.to_pylist()]

    grouped = Scanner(TableColumns(table, CATALOG), rules, now=NOW).groups()

    assert grouped is not None and grouped.count == 5
    expected = first_match_one_by_one(held, rules, NOW)
    assert expected[:5] == [0, 3, 1, 3, 3]
    assert first_matching_rules_in(table, rules, CATALOG, now=NOW) == expected


@settings(max_examples=100, deadline=None)
@given(
    rules=rule_sets(TARGETS, most=12),
    reps=rep_states(),
    people=st.lists(wide_customers(), max_size=30),
    now=st.sampled_from(NOWS),
    zone=st.sampled_from(ZONES),
    block=st.sampled_from([3, 1 << 16]),
    seed=st.integers(0, 3),
)
def test_route_many_on_a_table_decides_as_routing_one_by_one(
    rules: list[CompiledRule],
    reps: dict[int, RepState],
    people: list[Customer],
    now: datetime,
    zone: str,
    block: int,
    seed: int,
) -> None:
    table = table_of(people, zone, "plain")
    held = [from_row(row) for row in table.to_pylist()]
    ctx = RoutingContext(rules, reps, sub_teams=TEAMS, accounts=ACCOUNTS)
    expected = [as_batch_tells_it(d) for d in route_one_by_one(held, ctx, now, Random(seed))]
    columns = TableColumns(table, CATALOG)
    with patch.object(bulk, "BLOCK", block):  # small blocks: fallbacks across block edges
        assert route_many(held, ctx, now=now, rng=Random(seed), columns=columns) == expected


def test_route_many_refuses_a_table_of_other_customers() -> None:
    columns = TableColumns(pa.table({"region": ["East", "West"]}), CATALOG)
    ctx = RoutingContext(REGION_RULE, {})
    with pytest.raises(ValueError, match="2 table rows for 1 customers"):
        route_many([Customer(name="a")], ctx, now=NOW, rng=Random(1), columns=columns)


def test_the_table_holds_what_the_getters_read_so_both_paths_see_the_same_customers() -> None:
    people = [
        Customer(name="a", region=" East", employees=12, created_at=NOW, tags=["vip"]),
        Customer(name="b", stage=Stage.won, custom={"budget": 2.5, "tier": "gold"}),
    ]
    held = [from_row(row) for row in table_of(people, "UTC", "plain").to_pylist()]
    for name in FIELDS:
        spec = CATALOG[name]
        assert list(map(spec.get, held)) == list(map(spec.get, people)), name
    assert held[0].created_at is not None
    assert held[0].created_at.tzinfo is ZoneInfo("UTC")


REGION_RULE = [
    compiled(1, {"field": "region", "op": "eq", "value": "east"}, Target(TargetKind.pool))
]


def test_a_dictionary_column_keeps_its_codes_even_with_a_value_listed_twice() -> None:
    dictionary = pa.array(["East", "west", " east", "East"])
    region = pa.DictionaryArray.from_arrays(pa.array([3, None, 1, 0, 2], pa.int8()), dictionary)
    table = pa.table({"region": region})
    assert first_matching_rules_in(table, REGION_RULE, CATALOG, now=NOW) == [0, None, None, 0, 0]


def test_a_column_that_is_not_a_field_is_refused_by_name() -> None:
    table = pa.table({"region": ["East"], "regoin": ["West"]})
    with pytest.raises(ValueError, match="column 'regoin' is not a field"):
        first_matching_rules_in(table, REGION_RULE, CATALOG, now=NOW)


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("employees", ["12"], "integers or floats"),
        ("employees", [True], "integers or floats"),
        ("region", [1], "strings"),
        ("created_at", ["2024-05-15"], "timestamps"),
        ("tags", ["vip"], "lists of strings"),
    ],
)
def test_a_column_of_the_wrong_type_is_refused_by_name(
    name: str, values: list[object], expected: str
) -> None:
    table = pa.table({"region": ["East"], name: values} if name != "region" else {name: values})
    with pytest.raises(ValueError, match=f"column '{name}' holds .*: expected {expected}"):
        first_matching_rules_in(table, REGION_RULE, CATALOG, now=NOW)


def test_a_rule_testing_a_field_the_table_lacks_is_refused_by_name() -> None:
    table = pa.table({"city": ["Shanghai"]})
    with pytest.raises(ValueError, match=r"rules\[0\] the table has no column for region"):
        first_matching_rules_in(table, REGION_RULE, CATALOG, now=NOW)


def test_timestamps_finer_than_a_microsecond_are_refused_by_name() -> None:
    nanos = pa.array([1], type=pa.timestamp("ns", tz="UTC"))
    table = pa.table({"region": ["East"], "created_at": nanos})
    with pytest.raises(ValueError, match=r"column 'created_at' .* parts of a microsecond"):
        first_matching_rules_in(table, REGION_RULE, CATALOG, now=NOW)


def test_a_polars_like_frame_is_read_through_the_arrow_stream_interface() -> None:
    class Frame:  # what Polars, DuckDB and others offer: the Arrow C stream
        def __arrow_c_stream__(self, requested_schema: object = None) -> object:
            return pa.table({"region": [" EAST", None]}).__arrow_c_stream__(requested_schema)

    assert first_matching_rules_in(Frame(), REGION_RULE, CATALOG, now=NOW) == [0, None]
