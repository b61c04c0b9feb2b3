"""The batch path decides exactly as the per-customer path: first matching rules, then
whole routing decisions with capacity and strategy state carried from one to the next."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from random import Random
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.org import Leave, Rep
from fenpei.engine import bulk
from fenpei.engine.bulk import first_matching_rules, iter_route_many, received, route_many
from fenpei.engine.capacity import Usage
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.eligibility import in_window
from fenpei.engine.fields import field_catalog
from fenpei.engine.model import (
    Decision,
    EffectiveWindow,
    Fallback,
    Outcome,
    RepState,
    RoutingRule,
    Target,
    TargetKind,
)
from fenpei.engine.router import AccountIndex, CompiledRule, RoutingContext, route
from fenpei.engine.strategies import STRATEGIES
from tests._reference import reference

CUSTOM = [
    CustomField(key="budget", label="Budget", kind=FieldKind.number),
    CustomField(key="first_met", label="First met", kind=FieldKind.date),
    CustomField(key="tier", label="Tier", kind=FieldKind.choice, choices=["gold", "silver"]),
    CustomField(key="group", label="Group", kind=FieldKind.text),
]
CATALOG = field_catalog(CUSTOM)
SHANGHAI, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
NOW = datetime(2024, 5, 15, 4, 0, tzinfo=UTC)  # Wednesday, 12:00 in Shanghai
# now in a zone with a varying offset, as customers' datetimes may be: Python then compares
# them by wall clock, and the batch path must notice
NOWS = (NOW, NOW.astimezone(SHANGHAI), NOW.astimezone(NEW_YORK))

# --- conditions ------------------------------------------------------------------------

TEXTS = ["East", "east ", "WEST", "Straße", "strasse", "北京"]
DAYS = ["2024-05-01", "2024-05-14", "2024-05-15"]
MOMENTS = ["2024-03-10T02:30", "2024-05-14", "2024-05-15T09:00", "2024-05-15T09:00+08:00"]
NUMBERS = [0, 1, 2.5, 5, -3, 1e20]
HOURS = [None, {"hours": ["09:30", "18:00"]}, {"time_zone": "America/New_York", "weekdays": [5, 6]}]

TEXT_FIELDS = ["region", "city", "custom.group"]
CHOICES = {"stage": ["new", "WON", "lost"], "custom.tier": ["gold", "Silver"]}
NUMBER_FIELDS = ["employees", "score", "custom.budget"]
MOMENT_FIELDS = ["created_at", "last_follow_up_at"]


def some(values: Sequence[object]) -> st.SearchStrategy[list[Any]]:
    return st.lists(st.sampled_from(values), min_size=1, max_size=3)


def pair(values: Sequence[object]) -> st.SearchStrategy[list[Any]]:
    """[low, high] with low <= high, taken in the listed (ascending) order."""
    return st.lists(st.integers(0, len(values) - 1), min_size=2, max_size=2).map(
        lambda ij: [values[min(ij)], values[max(ij)]]
    )


def leaf(field: str, op: str, value: st.SearchStrategy[Any] | None = None) -> Any:
    if value is None:
        return st.just({"field": field, "op": op})
    return value.map(lambda v: {"field": field, "op": op, "value": v})


def leaves() -> st.SearchStrategy[dict[str, Any]]:
    text = st.sampled_from(TEXT_FIELDS)
    options: list[st.SearchStrategy[dict[str, Any]]] = [
        text.flatmap(lambda f: leaf(f, "eq", st.sampled_from(TEXTS))),
        text.flatmap(lambda f: leaf(f, "ne", st.sampled_from(TEXTS))),
        text.flatmap(lambda f: leaf(f, "in", some(TEXTS))),
        text.flatmap(lambda f: leaf(f, "not_in", some(TEXTS))),
        text.flatmap(lambda f: leaf(f, "contains", st.sampled_from(["as", "ST", "京"]))),
        text.flatmap(lambda f: leaf(f, "starts_with", st.sampled_from(["e", "we", "北"]))),
        text.flatmap(lambda f: leaf(f, "regex", st.sampled_from(["^E", "(?i)east", "t$", "ß"]))),
        st.sampled_from(sorted(CHOICES)).flatmap(
            lambda f: st.one_of(
                leaf(f, "eq", st.sampled_from(CHOICES[f])),
                leaf(f, "ne", st.sampled_from(CHOICES[f])),
                leaf(f, "in", some(CHOICES[f])),
                leaf(f, "not_in", some(CHOICES[f])),
            )
        ),
        st.sampled_from(NUMBER_FIELDS).flatmap(
            lambda f: st.one_of(
                st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte"]).flatmap(
                    lambda op: leaf(f, op, st.sampled_from(NUMBERS))
                ),
                leaf(f, "in", some(NUMBERS)),
                leaf(f, "not_in", some(NUMBERS)),
                leaf(f, "between", pair(sorted(NUMBERS))),
            )
        ),
        st.sampled_from(MOMENT_FIELDS).flatmap(
            lambda f: st.one_of(
                st.sampled_from(["gt", "gte", "lt", "lte"]).flatmap(
                    lambda op: leaf(f, op, st.sampled_from(MOMENTS))
                ),
                leaf(f, "between", pair(["2024-05-01", "2024-05-14T12:00", "2024-05-15"])),
                leaf(f, "within_days", st.sampled_from([1, 2.5, 30])),
                leaf(f, "older_than_days", st.sampled_from([1, 2.5, 30])),
                st.sampled_from(HOURS).flatmap(
                    lambda hours: (
                        leaf(f, "in_business_hours")
                        if hours is None
                        else leaf(f, "in_business_hours", st.just(hours))
                    )
                ),
            )
        ),
        st.one_of(
            st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte"]).flatmap(
                lambda op: leaf("custom.first_met", op, st.sampled_from(DAYS))
            ),
            leaf("custom.first_met", "in", some(DAYS)),
            leaf("custom.first_met", "between", pair(DAYS)),
            leaf("custom.first_met", "within_days", st.sampled_from([1, 10])),
            leaf("custom.first_met", "older_than_days", st.sampled_from([1, 10])),
        ),
        leaf("tags", "contains", st.sampled_from(["vip", "HOT"])),
        leaf("tags", "in", some(["vip", "hot", "cold"])),
        leaf("tags", "not_in", some(["vip", "hot", "cold"])),
        st.sampled_from([*TEXT_FIELDS, *NUMBER_FIELDS, *MOMENT_FIELDS, "tags", "stage"]).flatmap(
            lambda f: st.sampled_from(["is_empty", "is_not_empty"]).flatmap(lambda op: leaf(f, op))
        ),
    ]
    return st.one_of(options)


LEAVES = leaves()


def trees(depth: int = 3) -> st.SearchStrategy[dict[str, Any]]:
    if depth == 1:
        return LEAVES
    below = trees(depth - 1)
    return st.one_of(
        LEAVES,
        st.lists(below, min_size=1, max_size=3).map(lambda items: {"all": items}),
        st.lists(below, min_size=1, max_size=3).map(lambda items: {"any": items}),
        below.map(lambda item: {"not": item}),
    )


TREES = trees()


WINDOWS = st.one_of(
    st.none(),
    st.builds(
        EffectiveWindow,
        weekdays=st.frozensets(st.integers(0, 6), min_size=1),
        hours=st.sampled_from([None, ("09:00", "18:00"), ("13:00", "14:00")]),
    ),
)

# --- customers -------------------------------------------------------------------------

PLACES = [None, "East", " east ", "EAST", "West", "", "  ", "Straße", "STRASSE", "北京市", "ease"]


def moments() -> st.SearchStrategy[datetime | None]:
    local = st.sampled_from([UTC, SHANGHAI, NEW_YORK])
    shifted = st.sampled_from([-24 * 40, -50, -25, -20, -1, 0, 3, 30]).map(
        lambda hours: NOW + timedelta(hours=hours)
    )
    around_dst = st.sampled_from(
        [  # a gap and a repeated hour in New York
            datetime(2024, 3, 10, 2, 30, tzinfo=NEW_YORK),
            datetime(2024, 11, 3, 1, 30, tzinfo=NEW_YORK),
            datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=NEW_YORK),
        ]
    )
    return st.one_of(
        st.none(),
        st.builds(lambda moment, zone: moment.astimezone(zone), shifted, local),
        around_dst,
    )


def customers(**extra: st.SearchStrategy[Any]) -> st.SearchStrategy[Customer]:
    custom = st.fixed_dictionaries(
        {},
        optional={
            "budget": st.sampled_from([None, 0, 1, 2.5, -3, 10**20, True, "5"]),
            "first_met": st.sampled_from(["2024-05-01", "2024-05-15", date(2024, 5, 10), "soon"]),
            "tier": st.sampled_from(["gold", "GOLD ", " silver", "bronze", None]),
            "group": st.sampled_from(PLACES),
        },
    )
    return st.builds(
        Customer,
        name=st.just("客户"),
        region=st.sampled_from(PLACES),
        city=st.sampled_from(PLACES),
        stage=st.sampled_from(list(Stage)),
        employees=st.sampled_from([None, 0, 1, 5, 10, 2**60 + 1]),
        score=st.sampled_from([None, 0.0, 2.5, -3.0, math.nan, math.inf]),
        tags=st.lists(st.sampled_from(["vip", " VIP", "hot", "Cold", ""]), max_size=3),
        created_at=moments(),
        last_follow_up_at=moments(),
        custom=custom,
        **extra,
    )


def compiled(rule_id: int, tree: dict[str, Any], target: Target, **fields: Any) -> CompiledRule:
    rule = RoutingRule(
        id=rule_id,
        name=f"rule {rule_id}",
        priority=rule_id,
        conditions=tree,
        target=target,
        **fields,
    )
    return CompiledRule(rule, compile_conditions(parse_conditions(tree, CATALOG)))


def first_match_one_by_one(
    people: Sequence[Customer], rules: Sequence[CompiledRule], now: datetime
) -> list[int | None]:
    def first(customer: Customer) -> int | None:
        for position, rule in enumerate(rules):
            live = rule.rule.enabled and in_window(rule.rule.window, now)
            if live and rule.matches(customer, now):
                return position
        return None

    return [first(customer) for customer in people]


@st.composite
def rule_sets(draw: st.DrawFn, targets: st.SearchStrategy[Target], most: int) -> list[CompiledRule]:
    rules = []
    for rule_id in range(1, draw(st.integers(1, most)) + 1):
        tree = draw(st.one_of(TREES, st.just({})) if rule_id > 1 else TREES)
        rules.append(
            compiled(
                rule_id,
                tree,
                draw(targets),
                enabled=draw(st.sampled_from([True, True, True, False])),
                window=draw(WINDOWS),
                strategy=draw(st.sampled_from(sorted(STRATEGIES))),
                fallback=draw(st.sampled_from(list(Fallback))),
                required_skills=draw(st.sampled_from([(), (), ("industries:retail",)])),
            )
        )
    return rules


@settings(max_examples=150, deadline=None)
@given(
    rules=rule_sets(st.just(Target(TargetKind.pool)), most=30),
    people=st.lists(customers(), max_size=40),
    now=st.sampled_from(NOWS),
)
def test_first_matching_rules_agree_with_the_compiled_predicates(
    rules: list[CompiledRule], people: list[Customer], now: datetime
) -> None:
    expected = first_match_one_by_one(people, rules, now)
    assert first_matching_rules(people, rules, CATALOG, now=now) == expected


# --- decisions agree with the reference interpreter ------------------------------------
# The batch path decides text, choice, date and tag leaves by running their compiled test
# once per distinct value, so checking it against that same compiled code cannot catch a
# mistake they share. Here every leaf the value pools allow (datetime and number ones too)
# meets every value of its field on clean customers, and the batch answer is checked
# against the naive interpreter in tests._reference; then trees of them.

INSTANTS = [  # ascending
    "2024-05-14T03:00:00+00:00",
    "2024-05-15T09:00:00+08:00",
    "2024-05-15T04:00:00Z",
]
FIRST_MET = ["2024-05-01", "2024-05-14", "2024-05-15", "2024-05-16"]
SMALL_NUMBERS = [0, 1, 2.5, 5]
ORDERS = ["gt", "gte", "lt", "lte"]


def leaves_of(field: str, ops: Sequence[str], values: Sequence[object]) -> list[dict[str, Any]]:
    return [{"field": field, "op": op, "value": value} for op in ops for value in values]


def choices_of(values: Sequence[object]) -> list[list[object]]:
    """Each value alone, the first two, and all of them."""
    return [[v] for v in values] + [list(values[:2]), list(values)]


def ranges_of(values: Sequence[object]) -> list[list[object]]:
    """Every [low, high] of the (ascending) values, low <= high."""
    return [[low, high] for i, low in enumerate(values) for high in values[i:]]


def every_leaf() -> list[dict[str, Any]]:
    met = "custom.first_met"
    found: list[dict[str, Any]] = []
    for field in TEXT_FIELDS:
        found += leaves_of(field, ["eq", "ne"], TEXTS)
        found += leaves_of(field, ["in", "not_in"], choices_of(TEXTS))
        found += leaves_of(field, ["contains"], ["as", "ST", "京", "t ", "ß"])
        found += leaves_of(field, ["starts_with"], ["e", "we", "北", "STR", "ease"])
        found += leaves_of(field, ["regex"], ["^E", "(?i)east", "t$", "ß", "^ "])
    for field, values in CHOICES.items():
        found += leaves_of(field, ["eq", "ne"], values)
        found += leaves_of(field, ["in", "not_in"], choices_of(values))
    found += leaves_of(met, ["eq", "ne", *ORDERS], FIRST_MET)
    found += leaves_of(met, ["in", "not_in"], choices_of(FIRST_MET))
    found += leaves_of(met, ["between"], ranges_of(FIRST_MET))
    found += leaves_of(met, ["within_days", "older_than_days"], [1, 2, 15])
    found += leaves_of("tags", ["contains"], ["vip", "HOT", "cold ", "Warm"])
    found += leaves_of("tags", ["in", "not_in"], choices_of(["vip", "hot", "cold"]))
    for field in MOMENT_FIELDS:
        found += leaves_of(field, ORDERS, INSTANTS)
        found += leaves_of(field, ["between"], ranges_of(INSTANTS))
        found += leaves_of(field, ["within_days", "older_than_days"], [1, 2.5, 30])
        found.append({"field": field, "op": "in_business_hours"})
    for field in ("employees", "score"):
        found += leaves_of(field, ["eq", "ne", *ORDERS], SMALL_NUMBERS)
        found += leaves_of(field, ["in", "not_in"], choices_of(SMALL_NUMBERS))
        found += leaves_of(field, ["between"], ranges_of(SMALL_NUMBERS))
    for field in [*TEXT_FIELDS, *CHOICES, *MOMENT_FIELDS, met, "tags", "employees", "score"]:
        found += [{"field": field, "op": op} for op in ("is_empty", "is_not_empty")]
    return found


EVERY_LEAF = every_leaf()


def cycled(pool: Sequence[Any], size: int, step: int) -> list[Any]:
    return [pool[(i * step) % len(pool)] for i in range(size)]


SHIFTS = [-24 * 40, -50, -25, -20, -1, 0, 3, 30]
MOMENT_POOL = [
    None,
    *(NOW + timedelta(hours=h) for h in SHIFTS),
    *((NOW + timedelta(hours=h)).astimezone(SHANGHAI) for h in SHIFTS),
    *((NOW + timedelta(hours=h)).astimezone(NEW_YORK) for h in SHIFTS),
    datetime(2024, 3, 10, 2, 30, tzinfo=NEW_YORK),  # in the gap
    datetime(2024, 11, 3, 1, 30, tzinfo=NEW_YORK),  # the repeated hour, first time
    datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=NEW_YORK),
]
POOLS: dict[str, tuple[list[Any], int]] = {  # each field's values, and its step through them
    "region": (PLACES, 1),
    "city": (PLACES, 3),
    "stage": (list(Stage), 1),
    "employees": ([None, 0, 1, 2, 5, 10], 1),
    "score": ([None, 0.0, 1.0, 2.5, 5.0, 7.5], 5),
    "tags": ([[], ["vip"], [" VIP"], ["hot", "Cold"], ["cold "], [""], ["hot"]], 1),
    "created_at": (MOMENT_POOL, 1),
    "last_follow_up_at": (MOMENT_POOL, 5),
    "first_met": ([None, *FIRST_MET], 1),
    "tier": (["gold", "GOLD ", " silver", "bronze", "", None], 1),
    "group": (PLACES, 2),
}
CUSTOM_KEYS = ("first_met", "tier", "group")


def roster() -> list[Customer]:
    """Customers holding, between them, every value of every field's pool (each step is
    prime to its pool's length), so each leaf meets all the values it might misjudge."""
    size = len(MOMENT_POOL)
    columns = {field: cycled(pool, size, step) for field, (pool, step) in POOLS.items()}
    people = []
    for i in range(size):
        row: dict[str, Any] = {field: values[i] for field, values in columns.items()}
        custom = {key: value for key in CUSTOM_KEYS if (value := row.pop(key)) is not None}
        row["tags"] = list(row["tags"])
        people.append(Customer(name="客户", **row, custom=custom))
    return people


ROSTER = roster()


def placed_by_reference(
    trees: Sequence[dict[str, Any]], people: Sequence[Customer], now: datetime
) -> list[int | None]:
    """The first tree that holds for each customer, by the reference interpreter."""
    return [
        next((p for p, tree in enumerate(trees) if reference(tree, who, now)), None)
        for who in people
    ]


@pytest.mark.parametrize("now", NOWS, ids=["utc", "shanghai", "new-york"])
def test_every_leaf_decides_in_batch_as_the_reference_interpreter_does(now: datetime) -> None:
    wrong = []
    for test in EVERY_LEAF:
        trees = [test, {"not": test}]  # every customer is placed by exactly one of them
        rules = [compiled(i, tree, Target(TargetKind.queue)) for i, tree in enumerate(trees, 1)]
        batch = first_matching_rules(ROSTER, rules, CATALOG, now=now)
        if batch != placed_by_reference(trees, ROSTER, now):
            wrong.append(test)
    assert wrong == []


REFERENCE_TREES = st.recursive(
    st.sampled_from(EVERY_LEAF),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda items: {"all": items}),
        st.lists(children, min_size=1, max_size=3).map(lambda items: {"any": items}),
        children.map(lambda child: {"not": child}),
    ),
    max_leaves=6,
)


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(trees=st.lists(REFERENCE_TREES, min_size=1, max_size=4), now=st.sampled_from(NOWS))
def test_first_matching_rules_agree_with_the_reference_interpreter(
    trees: list[dict[str, Any]], now: datetime
) -> None:
    rules = [compiled(i, tree, Target(TargetKind.queue)) for i, tree in enumerate(trees, 1)]
    for rule, tree in zip(rules, trees, strict=True):  # each alone, then in priority order
        alone = first_matching_rules(ROSTER, [rule], CATALOG, now=now)
        assert alone == placed_by_reference([tree], ROSTER, now)
    assert first_matching_rules(ROSTER, rules, CATALOG, now=now) == placed_by_reference(
        trees, ROSTER, now
    )


# --- whole decisions -------------------------------------------------------------------

TEAMS = {10: [11], 11: [], 12: []}
ACCOUNTS = AccountIndex(by_company={"acme": 1, "globex": 99}, by_phone={"13800000000": 2})


@st.composite
def rep_states(draw: st.DrawFn) -> dict[int, RepState]:
    reps = {}
    for rep_id in range(1, draw(st.integers(1, 7)) + 1):
        rep = Rep(
            name=f"rep {rep_id}",
            id=rep_id,
            team_id=draw(st.sampled_from([10, 11, 12, None])),
            active=draw(st.sampled_from([True, True, True, False])),
            away=draw(st.sampled_from([False, False, False, True])),
            skills=draw(st.sampled_from([{}, {"industries": ["Retail"]}])),
            tags=draw(st.sampled_from([[], ["senior"]])),
            weight=draw(st.integers(1, 3)),
            seniority=draw(st.integers(1, 100)),
            max_open=draw(st.sampled_from([None, 0, 1, 2, 3, 5])),
            max_per_day=draw(st.sampled_from([None, None, 1, 2])),
            working_hours=draw(st.sampled_from([{}, {}, {"sat": [["09:00", "18:00"]]}])),
        )
        away = Leave(rep_id, NOW - timedelta(days=1), NOW + timedelta(days=1))
        reps[rep_id] = RepState(
            rep=rep,
            usage=Usage(draw(st.integers(0, 2)), draw(st.integers(0, 1))),
            leaves=draw(st.sampled_from([(), (), (away,)])),
            open_value=Decimal(draw(st.integers(0, 500))),
            last_assigned_at=draw(st.sampled_from([None, NOW - timedelta(hours=5)])),
        )
    return reps


TARGETS = st.one_of(
    st.lists(st.integers(1, 8), max_size=4).map(
        lambda ids: Target(TargetKind.reps, rep_ids=tuple(ids))
    ),
    st.builds(
        Target,
        kind=st.just(TargetKind.team),
        team_id=st.sampled_from([10, 11, 12, 13]),
        include_subteams=st.booleans(),
    ),
    st.builds(
        Target,
        kind=st.just(TargetKind.skill),
        skill=st.sampled_from(["industries:retail", "senior", "nobody"]),
    ),
    st.builds(
        Target,
        kind=st.just(TargetKind.account_owner),
        match_on=st.sampled_from([("company",), ("phone", "company")]),
    ),
    st.just(Target(TargetKind.pool, pool="east")),
    st.just(Target(TargetKind.queue)),
)


def route_one_by_one(
    people: Sequence[Customer], ctx: RoutingContext, now: datetime, rng: Random
) -> list[Decision]:
    """The reference: ``route`` per customer, then what the store would say after it."""
    reps, states = dict(ctx.reps), dict(ctx.states)
    decisions = []
    for customer in people:
        decision = route(customer, replace(ctx, reps=reps, states=states), now=now, rng=rng)
        if decision.outcome is Outcome.assigned:
            assert decision.rep_id is not None and decision.rule_id is not None
            state, held = reps[decision.rep_id], customer.stage not in (Stage.won, Stage.lost)
            usage = state.usage
            reps[decision.rep_id] = replace(
                state,
                usage=Usage(
                    usage.open_count + (1 if held else 0),
                    usage.received_day + 1,
                    usage.received_week + 1,
                    usage.received_month + 1,
                ),
                open_value=state.open_value + ((customer.expected_value or 0) if held else 0),
                last_assigned_at=now,
            )
            states[decision.rule_id] = decision.state_after
        decisions.append(decision)
    return decisions


def as_batch_tells_it(decision: Decision) -> Decision:
    """The batch trace keeps the rules that matched; the others count as skipped."""
    kept = tuple(t for t in decision.trace if t.result in ("matched", "no_eligible_rep"))
    skipped = decision.rules_skipped + len(decision.trace) - len(kept)
    return replace(decision, trace=kept, rules_skipped=skipped)


@settings(max_examples=150, deadline=None)
@given(
    rules=rule_sets(TARGETS, most=12),
    reps=rep_states(),
    people=st.lists(
        customers(
            company_name=st.sampled_from([None, "Acme", " ACME", "Globex", "Initech"]),
            phone=st.sampled_from([None, "138-0000-0000", "021 5555"]),
            expected_value=st.sampled_from([None, Decimal("0"), Decimal("99.5")]),
            industry=st.sampled_from([None, "retail"]),
            level=st.sampled_from([None, "A", "C"]),
        ),
        max_size=30,
    ),
    now=st.sampled_from(NOWS),
    block=st.sampled_from([3, 1 << 16]),
    seed=st.integers(0, 3),
)
def test_route_many_decides_as_routing_one_by_one(
    rules: list[CompiledRule],
    reps: dict[int, RepState],
    people: list[Customer],
    now: datetime,
    block: int,
    seed: int,
) -> None:
    states = {1: {"last_rep_id": 2, "last_rep_name": "rep 2"}}
    ctx = RoutingContext(rules, reps, sub_teams=TEAMS, accounts=ACCOUNTS, states=states)
    expected = [as_batch_tells_it(d) for d in route_one_by_one(people, ctx, now, Random(seed))]
    with patch.object(bulk, "BLOCK", block):  # small blocks: fallbacks across block edges
        assert route_many(people, ctx, now=now, rng=Random(seed)) == expected


# --- examples --------------------------------------------------------------------------


def territory(rule_id: int, province: str, industries: list[str], team: int) -> CompiledRule:
    tree = {
        "all": [
            {"field": "province", "op": "eq", "value": province},
            {"field": "industry", "op": "in", "value": industries},
        ]
    }
    return compiled(rule_id, tree, Target(TargetKind.team, team_id=team))


def test_deep_territory_rules_place_thousands_as_one_by_one_would() -> None:
    provinces = [f"P{i}" for i in range(30)]
    industries = ["retail", "tech", "energy", "health"]
    rules = [
        territory(i + 1, provinces[i % 30], industries[(i // 30) % 4 :][:2], team=10 + i % 3)
        for i in range(120)
    ]
    rules.append(compiled(999, {}, Target(TargetKind.pool, pool="public")))
    rng = Random(7)
    people = [
        Customer(
            name=f"c{i}",
            province=rng.choice([*provinces, " p3 ", None]),
            industry=rng.choice([*industries, "RETAIL", None]),
        )
        for i in range(3000)
    ]
    reps = {
        i: RepState(Rep(name=f"r{i}", id=i, team_id=10 + i % 3, max_open=100), Usage(0))
        for i in range(1, 10)
    }
    ctx = RoutingContext(rules, reps)

    positions = first_matching_rules(people, rules, CATALOG, now=NOW)
    decisions = route_many(people, ctx, now=NOW, rng=Random(1))

    assert positions == first_match_one_by_one(people, rules, NOW)
    assert decisions == [
        as_batch_tells_it(d) for d in route_one_by_one(people, ctx, NOW, Random(1))
    ]
    assert {d.outcome for d in decisions} == {Outcome.assigned, Outcome.pool}
    assert any(t.result == "no_eligible_rep" for d in decisions for t in d.trace)


def test_a_full_team_sends_the_rest_to_the_next_rule_with_its_exclusions() -> None:
    east = compiled(
        1, {"field": "region", "op": "eq", "value": "East"}, Target(TargetKind.reps, rep_ids=(1,))
    )
    rest = compiled(2, {}, Target(TargetKind.pool, pool="public"))
    alice = RepState(Rep(name="Alice", id=1, max_open=1), Usage(0))
    ctx = RoutingContext([east, rest], {1: alice})

    first, second = route_many([Customer(name="a", region="East")] * 2, ctx, now=NOW, rng=Random())

    assert (first.outcome, first.rep_id) == (Outcome.assigned, 1)
    assert (second.outcome, second.pool) == (Outcome.pool, "public")
    assert [t.result for t in second.trace] == ["no_eligible_rep", "matched"]
    assert [e.reason for e in second.exclusions] == ["at capacity: 1/1 open customers"]


def test_iter_route_many_decides_lazily_one_customer_at_a_time() -> None:
    rule = compiled(1, {}, Target(TargetKind.queue))
    decisions = iter_route_many(
        [Customer(name="a")] * 3, RoutingContext([rule], {}), now=NOW, rng=Random()
    )
    assert next(decisions).outcome is Outcome.queued
    assert len(list(decisions)) == 2


def test_no_rule_matching_leaves_the_customer_queued_with_every_rule_skipped() -> None:
    rules = [
        compiled(i, {"field": "region", "op": "eq", "value": "East"}, Target(TargetKind.queue))
        for i in (1, 2)
    ]
    (decision,) = route_many(
        [Customer(name="a", region="West")], RoutingContext(rules, {}), now=NOW, rng=Random()
    )
    assert decision.outcome is Outcome.queued
    assert decision.reason == "no rule could place the customer"
    assert (decision.trace, decision.rules_skipped) == ((), 2)


def test_received_counts_an_open_customer_as_held_and_a_won_one_only_as_intake() -> None:
    state = RepState(Rep(name="A", id=1), Usage(2, 1, 1, 1), open_value=Decimal(10))
    later = NOW + timedelta(hours=1)

    held = received(state, Customer(name="a", expected_value=Decimal("5.5")), now=later)
    won = received(state, Customer(name="b", stage=Stage.won, expected_value=Decimal(5)), now=later)

    assert (held.usage, held.open_value, held.last_assigned_at) == (
        Usage(3, 2, 2, 2),
        Decimal("15.5"),
        later,
    )
    assert (won.usage, won.open_value) == (Usage(2, 2, 2, 2), Decimal(10))


def test_a_rule_testing_a_field_outside_the_catalog_is_refused() -> None:
    rule = compiled(1, {"field": "custom.budget", "op": "gt", "value": 1}, Target(TargetKind.queue))
    with pytest.raises(ValueError, match=r"rules\[0\] tests unknown fields: custom.budget"):
        first_matching_rules([Customer(name="a")], [rule], field_catalog(), now=NOW)


def test_business_hours_agree_across_an_offset_change_in_the_middle_of_an_hour() -> None:
    # Nepal moved from +05:30 to +05:45 at 1986-01-01 00:00 local, 18:30 UTC: the batch
    # path reads offsets per UTC hour, and that hour has two.
    hours = {"time_zone": "Asia/Kathmandu", "weekdays": [2], "hours": ["00:00", "00:20"]}
    tree = {"field": "created_at", "op": "in_business_hours", "value": hours}
    rules = [compiled(1, tree, Target(TargetKind.queue))]
    start = datetime(1985, 12, 31, 17, 0, tzinfo=UTC)
    people = [Customer(name="a", created_at=start + timedelta(minutes=m)) for m in range(0, 180, 3)]

    positions = first_matching_rules(people, rules, CATALOG, now=NOW)

    assert positions == first_match_one_by_one(people, rules, NOW)
    # Wednesday 1 Jan starts at 00:15 local (18:30 UTC): 00:15 and 00:18 are in the hours
    assert [p.created_at for p, at in zip(people, positions, strict=True) if at == 0] == [
        datetime(1985, 12, 31, 18, 30, tzinfo=UTC),
        datetime(1985, 12, 31, 18, 33, tzinfo=UTC),
    ]
