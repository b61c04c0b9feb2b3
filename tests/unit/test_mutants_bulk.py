"""The batch evaluator where mutation testing found gaps: the fallback to the next rule
for a rule without an equality test, and which customers' datetimes go per customer.

Like ``test_bulk_numeric``, the tests on the datetime columns watch which customers the
batch path hands to the per-customer test: the module promises that only what it cannot
show exact goes there, and a column quietly decided per customer would prove nothing
about the NumPy code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest

from fenpei.domain.customers import Customer, Stage
from fenpei.domain.org import Leave, Rep
from fenpei.engine import bulk
from fenpei.engine._bulk_columns import Columns
from fenpei.engine._bulk_moments import Mask, Rows
from fenpei.engine.bulk import first_matching_rules, route_many
from fenpei.engine.capacity import Usage
from fenpei.engine.conditions import Leaf
from fenpei.engine.fields import field_catalog
from fenpei.engine.model import EffectiveWindow, Outcome, RepState, Target, TargetKind
from fenpei.engine.router import AccountIndex, CompiledRule, RoutingContext
from tests.unit.test_bulk import (
    CATALOG,
    NOW,
    as_batch_tells_it,
    compiled,
    first_match_one_by_one,
    route_one_by_one,
)


@contextmanager
def rows_decided_per_customer() -> Iterator[list[int]]:
    """The rows (customers, by position) whose leaves ran the per-customer test."""
    seen: list[int] = []
    per_row = Columns.per_row

    def recording(self: Columns, leaf: Leaf, rows: Rows) -> Mask:
        seen.extend(rows.tolist())
        return per_row(self, leaf, rows)

    with patch.object(Columns, "per_row", recording):
        yield seen


def queue_rule(tree: dict[str, Any]) -> list[CompiledRule]:
    return [compiled(1, tree, Target(TargetKind.queue))]


# --- the fallback to the next rule -----------------------------------------------------


def test_a_full_rep_of_a_rule_without_an_equality_test_sends_the_rest_to_the_next_rule() -> None:
    big = compiled(
        1, {"field": "employees", "op": "gte", "value": 10}, Target(TargetKind.reps, rep_ids=(1,))
    )
    rest = compiled(2, {}, Target(TargetKind.pool, pool="public"))
    alice = RepState(Rep(name="Alice", id=1, max_open=1), Usage(0))
    ctx = RoutingContext([big, rest], {1: alice})
    people = [Customer(name=f"c{i}", employees=n) for i, n in enumerate([50, 5, 20, 30])]

    decisions = route_many(people, ctx, now=NOW, rng=Random(1))

    assert [(d.outcome, d.rep_id, d.pool) for d in decisions] == [
        (Outcome.assigned, 1, None),
        (Outcome.pool, None, "public"),
        (Outcome.pool, None, "public"),
        (Outcome.pool, None, "public"),
    ]
    assert [t.result for t in decisions[2].trace] == ["no_eligible_rep", "matched"]
    assert decisions == [
        as_batch_tells_it(d) for d in route_one_by_one(people, ctx, NOW, Random(1))
    ]


# --- datetimes: the zone's offset once per UTC hour -------------------------------------
# New York moved its clocks from 02:00 EST to 03:00 EDT on Sunday 10 March 2024, at 07:00
# UTC: on the hour, so every UTC hour around it has one offset all through.

SPRING_FORWARD = datetime(2024, 3, 10, 7, 0, tzinfo=UTC)
EARLY_SUNDAY = {
    "time_zone": "America/New_York",
    "weekdays": [6],
    "hours": ["01:00", "04:00"],
}


def test_business_hours_around_a_change_on_the_hour_decide_every_customer_on_numpy() -> None:
    rules = queue_rule({"field": "created_at", "op": "in_business_hours", "value": EARLY_SUNDAY})
    people = [
        Customer(name="a", created_at=SPRING_FORWARD + timedelta(minutes=m))
        for m in range(-150, 150, 7)
    ]

    with rows_decided_per_customer() as per_customer:
        positions = first_matching_rules(people, rules, CATALOG, now=NOW)

    assert per_customer == []
    assert positions == first_match_one_by_one(people, rules, NOW)
    # 01:00-04:00 local: 06:00-07:00 UTC (EST, -5) and 07:00-08:00 UTC (EDT, -4)
    inside = [p.created_at for p, at in zip(people, positions, strict=True) if at == 0]
    assert inside[0] == datetime(2024, 3, 10, 6, 1, tzinfo=UTC)
    assert inside[-1] == datetime(2024, 3, 10, 7, 53, tzinfo=UTC)


def test_only_the_customers_in_an_hour_holding_an_offset_change_go_per_customer() -> None:
    # Nepal moved from +05:30 to +05:45 at 18:30 UTC on 31 December 1985
    hours = {"time_zone": "Asia/Kathmandu", "weekdays": [2], "hours": ["00:00", "00:20"]}
    rules = queue_rule({"field": "created_at", "op": "in_business_hours", "value": hours})
    start = datetime(1985, 12, 31, 17, 0, tzinfo=UTC)
    people = [Customer(name="a", created_at=start + timedelta(minutes=m)) for m in range(0, 180, 9)]

    with rows_decided_per_customer() as per_customer:
        positions = first_matching_rules(people, rules, CATALOG, now=NOW)

    in_that_hour = [row for row, p in enumerate(people) if p.created_at and p.created_at.hour == 18]
    assert per_customer == in_that_hour
    assert positions == first_match_one_by_one(people, rules, NOW)


def test_business_hours_on_numpy_include_their_first_minute_and_end_before_their_last() -> None:
    # UTC: an offset of zero, which must not be taken for a missing one
    hours = {"time_zone": "UTC", "weekdays": [2], "hours": ["09:00", "18:00"]}
    rules = queue_rule({"field": "created_at", "op": "in_business_hours", "value": hours})
    wednesday = datetime(2024, 5, 15, tzinfo=UTC)
    tick = timedelta(microseconds=1)
    moments = [
        wednesday + timedelta(hours=9) - tick,
        wednesday + timedelta(hours=9),
        wednesday + timedelta(hours=18) - tick,
        wednesday + timedelta(hours=18),
    ]
    people = [Customer(name="a", created_at=moment) for moment in moments]

    with rows_decided_per_customer() as per_customer:
        positions = first_matching_rules(people, rules, CATALOG, now=NOW)

    assert per_customer == []
    assert positions == [None, 0, 0, None]
    assert positions == first_match_one_by_one(people, rules, NOW)


# --- reps kept current between customers of one batch ----------------------------------


def east(rule_id: int, rep_ids: tuple[int, ...], **fields: Any) -> CompiledRule:
    tree = {"field": "region", "op": "eq", "value": "East"}
    return compiled(rule_id, tree, Target(TargetKind.reps, rep_ids=rep_ids), **fields)


def test_a_rep_filled_in_the_batch_is_listed_as_excluded_while_the_other_still_receives() -> None:
    later = Leave(2, NOW + timedelta(days=2), NOW + timedelta(days=3))  # booked, not yet
    reps = {
        1: RepState(Rep(name="Ann", id=1, max_open=1), Usage(0)),
        2: RepState(Rep(name="Bob", id=2, max_open=5), Usage(0), leaves=(later,)),
    }
    rest = compiled(2, {}, Target(TargetKind.pool, pool="public"))
    ctx = RoutingContext([east(1, (1, 2)), rest], reps)
    people = [Customer(name=f"c{i}", region="East") for i in range(4)]

    decisions = route_many(people, ctx, now=NOW, rng=Random(1))

    assert [(d.outcome, d.rep_id) for d in decisions] == [
        (Outcome.assigned, 1),
        (Outcome.assigned, 2),
        (Outcome.assigned, 2),
        (Outcome.assigned, 2),
    ]
    assert [(e.rep_id, e.reason) for e in decisions[3].exclusions] == [
        (1, "at capacity: 1/1 open customers")
    ]
    assert decisions == [
        as_batch_tells_it(d) for d in route_one_by_one(people, ctx, NOW, Random(1))
    ]


def test_a_rep_lacking_a_rules_skill_stays_excluded_after_receiving_through_another_rule() -> None:
    retail = Rep(name="Ann", id=1, skills={"industries": ["Retail"]})
    reps = {1: RepState(retail, Usage(0)), 2: RepState(Rep(name="Bob", id=2), Usage(0))}
    west = compiled(
        2,
        {"field": "region", "op": "eq", "value": "West"},
        Target(TargetKind.reps, rep_ids=(2,)),
    )
    skilled = east(1, (1, 2), required_skills=("industries:retail",))
    ctx = RoutingContext([skilled, west], reps)
    people = [Customer(name=f"c{i}", region=r) for i, r in enumerate(["East", "West"] * 3)]

    decisions = route_many(people, ctx, now=NOW, rng=Random(1))

    assert [d.rep_id for d in decisions] == [1, 2, 1, 2, 1, 2]
    for decision in decisions[::2]:
        assert [(e.rep_id, e.reason) for e in decision.exclusions] == [
            (2, "lacks skill industries:retail")
        ]
    assert decisions == [
        as_batch_tells_it(d) for d in route_one_by_one(people, ctx, NOW, Random(1))
    ]


def test_a_rep_given_a_customer_in_the_batch_waits_behind_one_given_earlier() -> None:
    # won customers add no open load, so least_loaded ties and the longest waiting wins
    reps = {
        1: RepState(Rep(name="Ann", id=1), Usage(0)),
        2: RepState(Rep(name="Bob", id=2), Usage(0), last_assigned_at=NOW - timedelta(hours=5)),
    }
    ctx = RoutingContext([east(1, (1, 2), strategy="least_loaded")], reps)
    people = [Customer(name=f"c{i}", region="East", stage=Stage.won) for i in range(3)]

    decisions = route_many(people, ctx, now=NOW, rng=Random(1))

    assert [d.rep_id for d in decisions] == [1, 2, 1]
    assert decisions == [
        as_batch_tells_it(d) for d in route_one_by_one(people, ctx, NOW, Random(1))
    ]


def test_each_customer_of_a_batch_goes_to_the_owner_of_its_own_account() -> None:
    owner = compiled(1, {}, Target(TargetKind.account_owner, match_on=("company",)))
    reps = {i: RepState(Rep(name=f"Owner {i}", id=i), Usage(0)) for i in (7, 8)}
    accounts = AccountIndex(by_company={"acme": 7, "globex": 8})
    ctx = RoutingContext([owner], reps, accounts=accounts)
    people = [Customer(name=f"c{i}", company_name=c) for i, c in enumerate(["Acme", "Globex"] * 2)]

    decisions = route_many(people, ctx, now=NOW, rng=Random(1))

    assert [(d.outcome, d.rep_id) for d in decisions] == [
        (Outcome.assigned, 7),
        (Outcome.assigned, 8),
        (Outcome.assigned, 7),
        (Outcome.assigned, 8),
    ]
    assert decisions == [
        as_batch_tells_it(d) for d in route_one_by_one(people, ctx, NOW, Random(1))
    ]


def test_a_team_target_in_a_batch_reaches_the_reps_of_its_sub_teams() -> None:
    team = Target(TargetKind.team, team_id=10, include_subteams=True)
    rule = compiled(1, {"field": "region", "op": "eq", "value": "East"}, team)
    reps = {3: RepState(Rep(name="Sub", id=3, team_id=11), Usage(0))}
    ctx = RoutingContext([rule], reps, sub_teams={10: [11], 11: []})
    people = [Customer(name=f"c{i}", region="East") for i in range(2)]

    decisions = route_many(people, ctx, now=NOW, rng=Random(1))

    assert [(d.outcome, d.rep_id) for d in decisions] == [(Outcome.assigned, 3)] * 2
    assert decisions == [
        as_batch_tells_it(d) for d in route_one_by_one(people, ctx, NOW, Random(1))
    ]


def test_a_batch_judges_time_based_conditions_and_rule_windows_at_the_time_given() -> None:
    recent = {"field": "created_at", "op": "within_days", "value": 7}
    weekend_only = EffectiveWindow(weekdays=frozenset({5, 6}))  # NOW is a Wednesday
    rules = [
        compiled(1, {}, Target(TargetKind.pool, pool="weekend"), window=weekend_only),
        compiled(2, {}, Target(TargetKind.pool, pool="disabled"), enabled=False),
        compiled(3, recent, Target(TargetKind.pool, pool="recent")),
        compiled(4, {}, Target(TargetKind.pool, pool="older")),
    ]
    ctx = RoutingContext(rules, {})
    ages = [1, 30, None, 3]
    people = [
        Customer(name=f"c{i}", created_at=None if d is None else NOW - timedelta(days=d))
        for i, d in enumerate(ages)
    ]

    decisions = route_many(people, ctx, now=NOW, rng=Random(1))

    assert [d.pool for d in decisions] == ["recent", "older", "older", "recent"]
    assert decisions == [
        as_batch_tells_it(d) for d in route_one_by_one(people, ctx, NOW, Random(1))
    ]


def test_customers_beyond_the_first_block_are_routed_as_one_by_one() -> None:
    companies = ["Acme", "Globex", "Initech", "Globex", "Initech", "Acme", "Globex"]
    rules = [
        compiled(1, {}, Target(TargetKind.account_owner, match_on=("company",))),
        compiled(2, {}, Target(TargetKind.pool, pool="rest")),
    ]
    reps = {i: RepState(Rep(name=f"Owner {i}", id=i), Usage(0)) for i in (7, 8)}
    ctx = RoutingContext(rules, reps, accounts=AccountIndex(by_company={"acme": 7, "globex": 8}))
    people = [Customer(name=f"c{i}", company_name=c) for i, c in enumerate(companies)]

    with patch.object(bulk, "BLOCK", 3):
        decisions = route_many(people, ctx, now=NOW, rng=Random(1))

    assert [d.rep_id or d.pool for d in decisions] == [7, 8, "rest", 8, "rest", 7, 8]
    assert decisions == [
        as_batch_tells_it(d) for d in route_one_by_one(people, ctx, NOW, Random(1))
    ]


def test_a_customer_placed_by_a_later_rule_keeps_the_exclusions_of_the_full_rule_above() -> None:
    reps = {
        1: RepState(Rep(name="Ann", id=1, max_open=1), Usage(1)),  # full from the start
        2: RepState(Rep(name="Bob", id=2), Usage(0)),
    }
    ctx = RoutingContext([east(1, (1,)), east(2, (2,))], reps)
    people = [Customer(name=f"c{i}", region="East") for i in range(2)]

    decisions = route_many(people, ctx, now=NOW, rng=Random(1))

    assert [d.rep_id for d in decisions] == [2, 2]
    for decision in decisions:
        assert [(e.rep_id, e.reason) for e in decision.exclusions] == [
            (1, "at capacity: 1/1 open customers")
        ]
    assert decisions == [
        as_batch_tells_it(d) for d in route_one_by_one(people, ctx, NOW, Random(1))
    ]


def test_a_customer_whose_only_rule_has_nobody_left_is_queued_with_that_rule_traced() -> None:
    reps = {1: RepState(Rep(name="Ann", id=1, max_open=1), Usage(0))}
    west = compiled(2, {"field": "region", "op": "eq", "value": "West"}, Target(TargetKind.queue))
    ctx = RoutingContext([east(1, (1,)), west], reps)
    people = [Customer(name=f"c{i}", region="East") for i in range(2)]

    first, second = route_many(people, ctx, now=NOW, rng=Random(1))

    assert (first.outcome, first.rep_id, first.rules_skipped) == (Outcome.assigned, 1, 0)
    assert (second.outcome, second.reason) == (Outcome.queued, "no rule could place the customer")
    assert [(t.rule_id, t.result) for t in second.trace] == [(1, "no_eligible_rep")]
    assert second.rules_skipped == 1  # the West rule, proved not to apply
    assert [first, second] == [
        as_batch_tells_it(d) for d in route_one_by_one(people, ctx, NOW, Random(1))
    ]


def test_rules_passed_over_above_the_deciding_one_are_counted_as_skipped() -> None:
    reps = {1: RepState(Rep(name="Ann", id=1), Usage(0))}
    west = compiled(1, {"field": "region", "op": "eq", "value": "West"}, Target(TargetKind.queue))
    ctx = RoutingContext([west, east(2, (1,)), east(3, (1,))], reps)
    people = [Customer(name="c", region="East")]

    (decision,) = route_many(people, ctx, now=NOW, rng=Random(1))

    assert (decision.outcome, decision.rule_id, decision.rules_skipped) == (
        Outcome.assigned,
        2,
        1,
    )
    assert [decision] == [
        as_batch_tells_it(d) for d in route_one_by_one(people, ctx, NOW, Random(1))
    ]


def test_a_rule_testing_several_fields_outside_the_catalog_names_them_all_in_order() -> None:
    tree = {
        "all": [
            {"field": "custom.tier", "op": "eq", "value": "gold"},
            {"field": "custom.budget", "op": "gt", "value": 1},
        ]
    }
    rules = [compiled(1, {}, Target(TargetKind.queue)), compiled(2, tree, Target(TargetKind.queue))]

    with pytest.raises(ValueError) as caught:
        first_matching_rules([Customer(name="a")], rules, field_catalog(), now=NOW)

    assert str(caught.value) == "rules[1] tests unknown fields: custom.budget, custom.tier"


def test_a_datetime_column_with_blanks_still_decides_on_numpy() -> None:
    rules = queue_rule({"field": "created_at", "op": "gte", "value": "2024-05-01"})
    moments = [NOW, None, datetime(2024, 4, 1, tzinfo=UTC), None]
    people = [Customer(name="a", created_at=moment) for moment in moments]

    with rows_decided_per_customer() as per_customer:
        positions = first_matching_rules(people, rules, CATALOG, now=NOW)

    assert per_customer == []
    assert positions == [0, None, None, None]


def test_a_date_range_starting_before_1970_never_admits_a_customer_without_the_date() -> None:
    rules = queue_rule({"field": "created_at", "op": "gte", "value": "1950-01-01"})
    people = [Customer(name="a", created_at=NOW), Customer(name="b")]

    with rows_decided_per_customer() as per_customer:
        positions = first_matching_rules(people, rules, CATALOG, now=NOW)

    assert per_customer == []
    assert positions == [0, None]


def test_within_and_older_than_days_split_at_exactly_n_days_on_numpy() -> None:
    moments = [NOW - timedelta(days=7, microseconds=d) for d in (1, 0, -1)]
    people = [Customer(name="a", created_at=moment) for moment in moments]
    within = queue_rule({"field": "created_at", "op": "within_days", "value": 7})
    older = queue_rule({"field": "created_at", "op": "older_than_days", "value": 7})

    with rows_decided_per_customer() as per_customer:
        inside = first_matching_rules(people, within, CATALOG, now=NOW)
        outside = first_matching_rules(people, older, CATALOG, now=NOW)

    assert per_customer == []
    assert (inside, outside) == ([None, 0, 0], [0, None, None])


def test_days_counted_in_a_zone_with_a_repeated_hour_compare_as_one_by_one() -> None:
    # now - 7 days is 01:45 the first time round on 3 November, when New York's 01:00 to
    # 02:00 came twice; 01:30 the second time is later as an instant but earlier on the
    # wall clock, which is how Python compares two times of one zone
    new_york = ZoneInfo("America/New_York")
    now = datetime(2024, 11, 10, 1, 45, tzinfo=new_york)
    second_time = datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=new_york)
    people = [Customer(name="a", created_at=second_time)]

    for op in ("within_days", "older_than_days"):
        rules = queue_rule({"field": "created_at", "op": op, "value": 7})
        expected = first_match_one_by_one(people, rules, now)
        assert first_matching_rules(people, rules, CATALOG, now=now) == expected, op
    assert expected == [0]  # older than 7 days, by the wall clock


def test_days_counted_from_a_utc_now_decide_on_numpy() -> None:
    rules = queue_rule({"field": "created_at", "op": "within_days", "value": 7})
    people = [Customer(name="a", created_at=NOW - timedelta(days=d)) for d in (1, 10)]

    with rows_decided_per_customer() as per_customer:
        positions = first_matching_rules(people, rules, CATALOG, now=NOW)

    assert per_customer == []
    assert positions == [0, None]


def test_equality_rules_over_many_customers_in_small_blocks_place_each_by_its_value() -> None:
    regions = ["East", "West", "North", "East", "East", "West", "North", "North", "East"]
    people = [Customer(name=f"c{i}", region=regions[(i * 7) % 9]) for i in range(300)]
    rules = [
        compiled(i, {"field": "region", "op": "eq", "value": r}, Target(TargetKind.pool, pool=r))
        for i, r in enumerate(["East", "West"], start=1)
    ]
    ctx = RoutingContext(rules, {})

    with patch.object(bulk, "BLOCK", 16):
        decisions = route_many(people, ctx, now=NOW, rng=Random(1))

    placed = [p.region if p.region in ("East", "West") else None for p in people]
    assert [d.pool for d in decisions] == placed


def test_an_in_rule_on_values_few_customers_hold_places_exactly_those() -> None:
    regions = ["North"] * 95 + ["East"] * 2 + ["West"] * 3
    people = [Customer(name=f"c{i}", region=r) for i, r in enumerate(regions)]
    tree = {"field": "region", "op": "in", "value": ["East", "West", "South"]}
    rules = queue_rule(tree)

    positions = first_matching_rules(people, rules, CATALOG, now=NOW)

    assert [i for i, at in enumerate(positions) if at == 0] == list(range(95, 100))


def test_a_tags_test_over_a_batch_runs_once_per_distinct_list_of_tags() -> None:
    lists = [["vip"], ["cold", "hot"], []]
    people = [Customer(name=f"c{i}", tags=list(lists[i % 3])) for i in range(90)]
    rules = queue_rule({"field": "tags", "op": "contains", "value": "vip"})
    asked: list[object] = []
    compiled_test = Columns.test

    def counting(self: Columns, leaf: Leaf) -> Callable[[object, datetime], bool]:
        test = compiled_test(self, leaf)

        def counted(value: object, now: datetime) -> bool:
            asked.append(value)
            return test(value, now)

        return counted

    with patch.object(Columns, "test", counting):
        positions = first_matching_rules(people, rules, CATALOG, now=NOW)

    assert positions == [0 if i % 3 == 0 else None for i in range(90)]
    assert asked == lists  # each distinct list is tested once, and decides for all


def test_a_rule_with_equality_tests_on_two_fields_places_only_who_matches_both() -> None:
    pairs = [("East", "A"), ("East", "B"), ("West", "A"), ("East", "A"), (None, "A")]
    people = [Customer(name=f"c{i}", region=r, level=lv) for i, (r, lv) in enumerate(pairs)]
    tree = {
        "all": [
            {"field": "region", "op": "eq", "value": "East"},
            {"field": "level", "op": "in", "value": ["A", "C"]},
        ]
    }
    rules = queue_rule(tree)

    positions = first_matching_rules(people, rules, CATALOG, now=NOW)

    assert positions == [0, None, None, 0, None]


def test_an_equality_rule_below_rules_that_placed_most_customers_places_the_rest() -> None:
    people = [
        Customer(name=f"c{i}", region="East", employees=1 if i % 10 == 3 else 10) for i in range(20)
    ]
    rules = [
        compiled(1, {"field": "employees", "op": "gte", "value": 5}, Target(TargetKind.queue)),
        compiled(2, {"field": "employees", "op": "lt", "value": 0}, Target(TargetKind.queue)),
        compiled(3, {"field": "region", "op": "eq", "value": "East"}, Target(TargetKind.queue)),
    ]

    positions = first_matching_rules(people, rules, CATALOG, now=NOW)

    assert positions == [2 if i % 10 == 3 else 0 for i in range(20)]


def test_customers_sent_on_from_a_full_rule_meet_the_next_rule_only_if_it_matches_them() -> None:
    full = RepState(Rep(name="Ann", id=1, max_open=1), Usage(1))
    level_a = compiled(
        1, {"field": "level", "op": "eq", "value": "A"}, Target(TargetKind.reps, rep_ids=(1,))
    )
    east_pool = compiled(
        2, {"field": "region", "op": "eq", "value": "East"}, Target(TargetKind.pool, pool="east")
    )
    ctx = RoutingContext([level_a, east_pool], {1: full})
    people = [
        Customer(name=f"c{i}", level="A" if i % 2 == 0 else "B", region=r)
        for i, r in enumerate(["East", "West", "West", "East", "West", "West", "West", "West"])
    ]

    decisions = route_many(people, ctx, now=NOW, rng=Random(1))

    assert [d.pool for d in decisions] == ["east", None, None, "east", None, None, None, None]
    assert decisions == [
        as_batch_tells_it(d) for d in route_one_by_one(people, ctx, NOW, Random(1))
    ]
