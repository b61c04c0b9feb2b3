"""Number conditions in the batch evaluator: on clean columns the NumPy comparisons decide,
and they split exactly where the documented semantics (``tests._reference``) split; a
column holding a value a float cannot show exactly goes per customer and still agrees.

Every test watches which path decided (``deciding_paths``): a test about the vectorised
path that quietly ran on the fallback would prove nothing about the NumPy code.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.customers import Customer
from fenpei.engine import _bulk_columns
from fenpei.engine._bulk_columns import EXACT_FLOAT, Columns, Numbers
from fenpei.engine._bulk_moments import Mask, Rows
from fenpei.engine.bulk import first_matching_rules
from fenpei.engine.conditions import Leaf, compile_conditions, parse_conditions
from fenpei.engine.fields import field_catalog
from fenpei.engine.model import RoutingRule, Target, TargetKind
from fenpei.engine.router import CompiledRule
from tests._reference import reference

CATALOG = field_catalog([CustomField(key="budget", label="Budget", kind=FieldKind.number)])
NOW = datetime(2024, 5, 15, 4, 0, tzinfo=UTC)
FAST = settings(max_examples=100, deadline=None, derandomize=True, database=None)

# employees holds ints, score floats, revenue Decimal (read as float), custom.budget either
FIELDS = ["employees", "score", "revenue", "custom.budget"]
ORDER = ["gt", "gte", "lt", "lte", "eq", "ne"]
# rule values; the last is the largest whose neighbours are still exact floats
BOUNDS: list[float] = [0, 1, -3, 7, 7.5, 100, EXACT_FLOAT - 2]
SPECIALS = [math.nan, math.inf, -math.inf]  # floats too: they stay on the NumPy path


def clean(field: str, number: float) -> object | None:
    """``number`` as ``field`` holds it on a clean customer; None if it cannot hold it."""
    if field == "employees":
        return int(number) if math.isfinite(number) and number == int(number) else None
    if field == "score":
        return float(number)
    if field == "revenue":
        return Decimal(str(number)) if math.isfinite(number) else None
    if math.isfinite(number) and number == int(number):
        return int(number)  # custom.budget: ints and floats in one column
    return number


def holding(field: str, value: object) -> Customer:
    if field.startswith("custom."):
        custom = {} if value is None else {field.removeprefix("custom."): value}
        return Customer(name="客户", custom=custom)
    return Customer(name="客户", **{field: value})  # type: ignore[arg-type]


def around(bounds: Sequence[float]) -> list[float]:
    """Each bound, and the values half a unit and one unit either side of it."""
    return [b + d for b in bounds for d in (-1, -0.5, 0, 0.5, 1)]


def rules_for(tree: dict[str, Any]) -> list[CompiledRule]:
    """The tree, then its negation: every customer is placed by exactly one of them."""
    compiled = []
    for rule_id, conditions in enumerate((tree, {"not": tree}), start=1):
        rule = RoutingRule(
            id=rule_id,
            name=f"rule {rule_id}",
            priority=rule_id,
            conditions=conditions,
            target=Target(TargetKind.queue),
        )
        compiled.append(
            CompiledRule(rule, compile_conditions(parse_conditions(conditions, CATALOG)))
        )
    return compiled


@contextmanager
def deciding_paths() -> Iterator[dict[str, set[str]]]:
    """Record, by field, which path of the batch evaluator decided its leaves: ``numpy``
    (the float column's comparisons) or ``compiled`` (the per-value or per-row fallback,
    which runs the per-customer predicate)."""
    paths: dict[str, set[str]] = defaultdict(set)
    vectorised = _bulk_columns._number_leaf
    per_value, per_row = Columns._coded_leaf, Columns.per_row

    def number_leaf(leaf: Leaf, column: Numbers, rows: Rows) -> Mask:
        paths[leaf.field].add("numpy")
        return vectorised(leaf, column, rows)

    def coded_leaf(self: Columns, leaf: Leaf, rows: Rows) -> Mask:
        paths[leaf.field].add("compiled")
        return per_value(self, leaf, rows)

    def row_by_row(self: Columns, leaf: Leaf, rows: Rows) -> Mask:
        paths[leaf.field].add("compiled")
        return per_row(self, leaf, rows)

    with (
        patch.object(_bulk_columns, "_number_leaf", number_leaf),
        patch.object(Columns, "_coded_leaf", coded_leaf),
        patch.object(Columns, "per_row", row_by_row),
    ):
        yield paths


def batch_and_truth(
    tree: dict[str, Any], people: list[Customer]
) -> tuple[list[int | None], list[int | None], list[int | None], dict[str, set[str]]]:
    """Positions placed by the batch path, by the compiled predicate one customer at a
    time, and by the reference; and which path the batch took per field."""
    rules = rules_for(tree)
    with deciding_paths() as paths:
        batch = first_matching_rules(people, rules, CATALOG, now=NOW)
    one_by_one: list[int | None] = [0 if rules[0].matches(p, NOW) else 1 for p in people]
    truth: list[int | None] = [0 if reference(tree, p, NOW) else 1 for p in people]
    return batch, one_by_one, truth, dict(paths)


# --- each op splits exactly at its bound ----------------------------------------------

AROUND_SEVEN = [None, 6, 6.5, 7, 7.5, 8]
# what each test answers for AROUND_SEVEN, in order (1: it holds)
SPLITS: list[tuple[dict[str, Any], str]] = [
    ({"op": "gt", "value": 7}, "0 0 0 0 1 1"),
    ({"op": "gte", "value": 7}, "0 0 0 1 1 1"),
    ({"op": "lt", "value": 7}, "0 1 1 0 0 0"),
    ({"op": "lte", "value": 7}, "0 1 1 1 0 0"),
    ({"op": "eq", "value": 7}, "0 0 0 1 0 0"),
    ({"op": "ne", "value": 7}, "1 1 1 0 1 1"),
    ({"op": "between", "value": [6.5, 7.5]}, "0 0 1 1 1 0"),
    ({"op": "between", "value": [7, 7]}, "0 0 0 1 0 0"),
    ({"op": "in", "value": [6, 7.5]}, "0 1 0 0 1 0"),
    ({"op": "not_in", "value": [6, 7.5]}, "1 0 1 1 0 1"),
    ({"op": "is_empty"}, "1 0 0 0 0 0"),
    ({"op": "is_not_empty"}, "0 1 1 1 1 1"),
]


@pytest.mark.parametrize("field", ["score", "revenue", "custom.budget"])
@pytest.mark.parametrize(
    ("test", "marks"), SPLITS, ids=[f"{t['op']}-{m.replace(' ', '')}" for t, m in SPLITS]
)
def test_each_number_op_splits_at_its_bound_on_the_vectorised_path(
    field: str, test: dict[str, Any], marks: str
) -> None:
    people = [holding(field, None if n is None else clean(field, n)) for n in AROUND_SEVEN]
    rule = rules_for({"field": field, **test})[:1]

    with deciding_paths() as paths:
        placed = first_matching_rules(people, rule, CATALOG, now=NOW)

    assert paths == {field: {"numpy"}}
    assert placed == [0 if mark == "1" else None for mark in marks.split()]


# --- every op, every bound: the NumPy path agrees with the reference --------------------


@st.composite
def number_leaves(draw: st.DrawFn, field: str) -> tuple[dict[str, Any], list[float]]:
    """A leaf on ``field`` and the bounds its value names."""
    op = draw(st.sampled_from([*ORDER, "between", "in", "not_in"]))
    if op in ("in", "not_in"):
        items = draw(st.lists(st.sampled_from(BOUNDS), min_size=1, max_size=3, unique=True))
        return {"field": field, "op": op, "value": items}, items
    if op == "between":
        low, high = sorted(draw(st.lists(st.sampled_from(BOUNDS), min_size=2, max_size=2)))
        return {"field": field, "op": op, "value": [low, high]}, [low, high]
    bound = draw(st.sampled_from(BOUNDS))
    return {"field": field, "op": op, "value": bound}, [bound]


@st.composite
def leaf_and_customers(
    draw: st.DrawFn, fields: Sequence[str] = FIELDS
) -> tuple[dict[str, Any], str, list[Customer]]:
    """A leaf and customers on and around its bounds: each such value once (shuffled),
    then a few repeats, NaN, infinities and None."""
    field = draw(st.sampled_from(fields))
    tree, bounds = draw(number_leaves(field))
    near = [v for v in (clean(field, n) for n in around(bounds)) if v is not None]
    extra = [v for v in (clean(field, n) for n in SPECIALS) if v is not None]
    values = draw(st.permutations(near)) + draw(
        st.lists(st.sampled_from([None, *near, *extra]), max_size=10)
    )
    return tree, field, [holding(field, value) for value in values]


def pool(field: str) -> list[object]:
    """None, and every bound and its neighbours (and NaN, infinities) as ``field`` holds them."""
    values = (clean(field, n) for n in [*around(BOUNDS), *SPECIALS])
    return [None, *(v for v in values if v is not None)]


def every_number_leaf(field: str) -> list[dict[str, Any]]:
    """Each op with each bound (in / not_in: one bound, or two neighbouring ones)."""
    leaves = [{"field": field, "op": op, "value": bound} for op in ORDER for bound in BOUNDS]
    ordered = sorted(BOUNDS)
    for i, low in enumerate(ordered):
        leaves += [{"field": field, "op": "between", "value": [low, h]} for h in ordered[i:]]
        items = [[low], ordered[i : i + 2]]
        leaves += [{"field": field, "op": op, "value": v} for op in ("in", "not_in") for v in items]
    return leaves


@pytest.mark.parametrize("field", FIELDS)
def test_every_number_leaf_on_a_clean_column_decides_on_numpy_as_the_reference_does(
    field: str,
) -> None:
    people = [holding(field, value) for value in pool(field)]
    wrong = []
    for tree in every_number_leaf(field):
        batch, one_by_one, truth, paths = batch_and_truth(tree, people)
        assert paths == {field: {"numpy"}}
        if batch != truth or one_by_one != truth:
            wrong.append(tree)
    assert wrong == []


NUMBER_TREES = st.recursive(
    st.sampled_from([leaf for field in FIELDS for leaf in every_number_leaf(field)]),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda items: {"all": items}),
        st.lists(children, min_size=1, max_size=3).map(lambda items: {"any": items}),
        children.map(lambda child: {"not": child}),
    ),
    max_leaves=6,
)
CLEAN_CUSTOMERS = st.builds(
    Customer,
    name=st.just("客户"),
    employees=st.sampled_from(pool("employees")),
    score=st.sampled_from(pool("score")),
    revenue=st.sampled_from(pool("revenue")),
    custom=st.sampled_from(pool("custom.budget")).map(lambda v: {} if v is None else {"budget": v}),
)


@FAST
@given(tree=NUMBER_TREES, people=st.lists(CLEAN_CUSTOMERS, min_size=1, max_size=30))
def test_trees_of_number_leaves_on_clean_columns_agree_with_the_reference(
    tree: dict[str, Any], people: list[Customer]
) -> None:
    batch, one_by_one, truth, paths = batch_and_truth(tree, people)
    assert all(path == {"numpy"} for path in paths.values())
    assert batch == truth
    assert one_by_one == truth


# --- the fallback: a column a float cannot hold exactly --------------------------------

# Ints a float64 would round (or could not hold at all); Decimal is no float either.
# (revenue is absent: its getter gives floats whatever is stored.)
DIRT: dict[str, list[object]] = {
    "employees": [EXACT_FLOAT, EXACT_FLOAT + 1, 10**20, Decimal("7.5")],
    "score": [-EXACT_FLOAT - 1, 10**400, Decimal("7.5")],
    "custom.budget": [EXACT_FLOAT + 1, -(10**20)],
}


@FAST
@given(case=leaf_and_customers(sorted(DIRT)), data=st.data())
def test_one_value_a_float_cannot_hold_sends_the_column_per_customer_still_agreeing(
    case: tuple[dict[str, Any], str, list[Customer]], data: st.DataObject
) -> None:
    tree, field, people = case
    at = data.draw(st.integers(0, len(people)))
    people.insert(at, holding(field, data.draw(st.sampled_from(DIRT[field]))))

    batch, one_by_one, truth, paths = batch_and_truth(tree, people)

    assert paths == {field: {"compiled"}}
    assert batch == truth
    assert one_by_one == truth


def test_ints_past_two_to_the_53_are_compared_exactly_not_as_rounded_floats() -> None:
    # 2**53 + 1 is 2**53 as a float: the NumPy path would call it equal to 2**53.
    big = [EXACT_FLOAT - 1, EXACT_FLOAT, EXACT_FLOAT + 1]
    people = [holding("employees", n) for n in big]
    for op, marks in [("gt", [None, None, 0]), ("eq", [None, 0, None]), ("lte", [0, 0, None])]:
        rule = rules_for({"field": "employees", "op": op, "value": EXACT_FLOAT})[:1]
        with deciding_paths() as paths:
            assert first_matching_rules(people, rule, CATALOG, now=NOW) == marks
        assert paths == {"employees": {"compiled"}}


def test_ints_just_below_two_to_the_53_stay_on_the_vectorised_path() -> None:
    people = [holding("employees", n) for n in (EXACT_FLOAT - 3, EXACT_FLOAT - 2, EXACT_FLOAT - 1)]
    rule = rules_for({"field": "employees", "op": "gt", "value": EXACT_FLOAT - 2})[:1]

    with deciding_paths() as paths:
        placed = first_matching_rules(people, rule, CATALOG, now=NOW)

    assert paths == {"employees": {"numpy"}}
    assert placed == [None, None, 0]
