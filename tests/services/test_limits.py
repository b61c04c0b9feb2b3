"""Every list, depth, date and number bound of rules, reps, leave, bulk assignments and
categories, checked by the services themselves (so the API, the pages and the CLI get one
answer): a clear error naming the field, refused before any per-item work, nothing written."""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import pytest

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.limits import DATE_MESSAGE, MAX_NESTING, NESTING_MESSAGE
from fenpei.domain.org import MAX_SKILLS_PER_KIND, MAX_SPANS_PER_DAY, MAX_TAGS
from fenpei.domain.rules import (
    MAX_CONDITION_VALUES,
    MAX_REORDERED,
    MAX_REQUIRED_SKILLS,
    MAX_TARGET_REPS,
    Rule,
)
from fenpei.domain.users import SYSTEM
from fenpei.engine import _ops
from fenpei.services import categories, org, rule_tester, rules
from fenpei.services.assignments import MAX_BULK_CUSTOMERS, MAX_SPREAD_REPS, bulk_assign
from fenpei.services.rulebook import RuleBook
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, bad_fields, message_for, refused

SHANGHAI = ZoneInfo("Asia/Shanghai")
EAST = {"field": "region", "op": "eq", "value": "East"}


def _looked_up(*args: object, **kwargs: object) -> NoReturn:
    raise AssertionError("an oversize list was looked up item by item")


def no_lookups(uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any rep or customer lookup fail the test: bounds come before per-item work."""
    for repository, method in (
        (uow.reps, "get"),
        (uow.reps, "all"),
        (uow.reps, "lock_many"),
        (uow.customers, "lock_many"),
    ):
        monkeypatch.setattr(repository, method, _looked_up)


def rule_fields(**fields: Any) -> dict[str, Any]:
    return {"name": "Bounded", "conditions": EAST, "target": {"kind": "pool"}, **fields}


def adding(uow: FakeUnitOfWork, clock: FixedClock, fields: dict[str, Any]) -> ValidationFailed:
    """Add the rule as ``fenpei rules add`` does; it must be refused, writing nothing."""
    return refused(
        uow,
        ValidationFailed,
        lambda: rules.create_rule(uow=uow, fields=fields, actor=SYSTEM, now=clock.now()),
    )


def nested(depth: int, group: str = "all") -> dict[str, Any]:
    """A condition tree of ``depth`` groups around one field test."""
    tree: dict[str, Any] = EAST
    for _ in range(depth):
        tree = {group: [tree]} if group != "not" else {"not": tree}
    return tree


# --- rules ----------------------------------------------------------------------------------


def test_a_rule_naming_100000_reps_is_refused_naming_target_rep_ids_before_any_lookup(
    uow: FakeUnitOfWork, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_lookups(uow, monkeypatch)
    target = {"kind": "reps", "rep_ids": list(range(1, 100_001))}

    error = adding(uow, clock, rule_fields(target=target))

    assert bad_fields(error) == {"target.rep_ids"}
    assert message_for(error, "target.rep_ids") == f"names 100000 reps; at most {MAX_TARGET_REPS}"


def test_rep_ids_within_the_bound_are_checked_in_one_lookup(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    alice = a_rep(uow, clock, "Alice")
    ids = [alice.id, *range(10_000, 10_000 + MAX_TARGET_REPS - 1)]

    error = adding(uow, clock, rule_fields(target={"kind": "reps", "rep_ids": ids}))

    assert len(error.errors) == MAX_TARGET_REPS - 1  # every missing rep named, Alice not
    assert error.errors[0].field == "target.rep_ids[1]"


@pytest.mark.parametrize("group", ["all", "any", "not"])
def test_conditions_nested_too_deeply_get_one_message_and_never_a_recursion_error(
    uow: FakeUnitOfWork, clock: FixedClock, group: str
) -> None:
    for depth in (MAX_NESTING + 1, 100_000):
        error = adding(uow, clock, rule_fields(conditions=nested(depth, group)))

        assert len(error.errors) == 1
        assert error.errors[0].field.startswith(f"conditions.{group}")
        assert error.errors[0].message == NESTING_MESSAGE


def test_the_editor_check_and_tester_refuse_deep_conditions_alike(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    deep = rule_fields(conditions=nested(100_000))
    with uow, pytest.raises(ValidationFailed) as checked:
        rule_tester.check_draft(uow=uow, draft_fields=deep, actor=SYSTEM)
    with uow, pytest.raises(ValidationFailed) as tried:
        rule_tester.try_rule(
            uow=uow,
            rulebook=RuleBook(),
            draft_fields=deep,
            customer_fields={"region": "East"},
            actor=SYSTEM,
            now=clock.now(),
            rng=Random(1),
        )

    for caught in (checked, tried):
        assert [e.message for e in caught.value.errors] == [NESTING_MESSAGE]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"required_skills": ["industries:retail"] * (MAX_REQUIRED_SKILLS + 1)},
            "required_skills",
            f"lists {MAX_REQUIRED_SKILLS + 1} skills; at most {MAX_REQUIRED_SKILLS}",
        ),
        ({"required_skills": ["x" * 101]}, "required_skills", "each 1 to 100 characters"),
        (
            {"conditions": {"field": "region", "op": "in", "value": ["x"] * 1001}},
            "conditions.value",
            f"at most {MAX_CONDITION_VALUES} values",
        ),
        (
            {"conditions": {"field": "created_at", "op": "within_days", "value": 10**30}},
            "conditions.value",
            "finite number",
        ),
        (
            {"conditions": {"field": "created_at", "op": "older_than_days", "value": 36501}},
            "conditions.value",
            "at most 36500",
        ),
        (
            {"conditions": {"field": "revenue", "op": "between", "value": [0, float("inf")]}},
            "conditions.value[1]",
            "finite number",
        ),
        (
            {"strategy": "best_match", "strategy_options": {"weights": {"load": 10**400}}},
            "strategy_options.weights.load",
            "finite number",
        ),
        (
            {"strategy": "best_match", "strategy_options": {"weights": {"load": float("nan")}}},
            "strategy_options.weights.load",
            "finite number",
        ),
        ({"priority": 10**30}, "priority", "0 to 1000000"),
        ({"target": {"kind": "team", "team_id": 10**30}}, "target.team_id", "does not exist"),
        ({"window": {"ends_on": "9999-12-31"}}, "window.ends_on", DATE_MESSAGE),
        ({"window": {"starts_on": "1899-12-31"}}, "window.starts_on", DATE_MESSAGE),
        ({"window": {"weekdays": [{}]}}, "window.weekdays", "weekdays"),
        ({"target": {"kind": "account_owner", "match_on": [[]]}}, "target.match_on", "use"),
        ({"strategy": ["round_robin"]}, "strategy", "is not one of"),
    ],
)
def test_a_rule_out_of_bounds_is_refused_naming_the_part(
    uow: FakeUnitOfWork, clock: FixedClock, fields: dict[str, Any], field: str, message: str
) -> None:
    error = adding(uow, clock, rule_fields(**fields))

    assert field in bad_fields(error)
    assert message in message_for(error, field)


def test_condition_values_bound_matches_the_engines() -> None:
    assert MAX_CONDITION_VALUES == _ops.MAX_LIST


def test_reordering_more_rules_than_the_bound_is_refused_before_any_lookup(
    uow: FakeUnitOfWork, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uow.rules, "get", _looked_up)

    error = refused(
        uow,
        ValidationFailed,
        lambda: rules.reorder_rules(
            uow=uow, rule_ids=list(range(1, MAX_REORDERED + 2)), actor=SYSTEM, now=clock.now()
        ),
    )

    assert bad_fields(error) == {"rule_ids"}


def test_a_stored_rule_over_a_bound_tightened_later_still_routes(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    """Bounds guard input; a rule accepted before them keeps compiling (routing never stops)."""
    alice = a_rep(uow, clock, "Alice")
    assert alice.id is not None
    many = [alice.id] * (MAX_TARGET_REPS + 1)

    def store() -> None:
        rule = rules.create_rule(
            uow=uow, fields=rule_fields(target={"kind": "pool"}), actor=SYSTEM, now=clock.now()
        )
        rule.target = {"kind": "reps", "rep_ids": many}  # as an older version accepted it

    in_transaction(uow, store)
    with uow:
        config = RuleBook().config(uow, now=clock.now())

    assert [r.rule.target.rep_ids for r in config.rules] == [tuple(many)]


def test_a_rule_within_every_bound_is_saved(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    alice = a_rep(uow, clock, "Alice")
    fields = rule_fields(
        conditions=nested(MAX_NESTING // 2 - 1),
        target={"kind": "reps", "rep_ids": [alice.id]},
        required_skills=["industries:retail"] * MAX_REQUIRED_SKILLS,
        window={"starts_on": "1900-01-01", "ends_on": "2199-12-31"},
    )

    rule = in_transaction(
        uow, lambda: rules.create_rule(uow=uow, fields=fields, actor=SYSTEM, now=clock.now())
    )

    assert isinstance(rule, Rule) and rule.id is not None


# --- reps and leave -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"tags": ["vip"] * (MAX_TAGS + 1)}, "tags", f"lists {MAX_TAGS + 1} tags; at most 50"),
        (
            {"skills": {"industries": ["retail"] * (MAX_SKILLS_PER_KIND + 1)}},
            "skills",
            f"industries: lists {MAX_SKILLS_PER_KIND + 1} skills; at most 50",
        ),
        ({"skills": {"languages": ["zh", "\ud800"]}}, "skills", "languages: item 1:"),
        (
            {"working_hours": {"mon": [["09:00", "10:00"]] * (MAX_SPANS_PER_DAY + 1)}},
            "working_hours",
            f"mon: at most {MAX_SPANS_PER_DAY} periods a day",
        ),
    ],
)
def test_a_rep_with_an_oversize_list_is_refused_naming_it(
    uow: FakeUnitOfWork, clock: FixedClock, fields: dict[str, Any], field: str, message: str
) -> None:
    error = refused(
        uow,
        ValidationFailed,
        lambda: org.create_rep(
            uow=uow, fields={"name": "Big", **fields}, actor=SYSTEM, now=clock.now()
        ),
    )

    assert bad_fields(error) == {field}
    assert message_for(error, field).startswith(message)


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        (datetime(2030, 1, 1, tzinfo=SHANGHAI), datetime(9999, 12, 31, tzinfo=SHANGHAI), "ends_at"),
        (datetime(2030, 1, 1, tzinfo=SHANGHAI), datetime(2200, 1, 1, tzinfo=SHANGHAI), "ends_at"),
        (
            datetime(1899, 12, 31, tzinfo=SHANGHAI),
            datetime(2030, 1, 1, tzinfo=SHANGHAI),
            "starts_at",
        ),
    ],
)
def test_a_leave_outside_the_date_range_is_refused_and_not_stored(
    uow: FakeUnitOfWork, clock: FixedClock, starts_at: datetime, ends_at: datetime, field: str
) -> None:
    rep = a_rep(uow, clock)
    assert rep.id is not None
    rep_id = rep.id

    error = refused(
        uow,
        ValidationFailed,
        lambda: org.add_leave(
            uow=uow,
            rep_id=rep_id,
            starts_at=starts_at,
            ends_at=ends_at,
            actor=SYSTEM,
            now=clock.now(),
        ),
    )

    assert message_for(error, field) == DATE_MESSAGE


def test_a_leave_up_to_the_last_day_of_the_range_is_kept(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    assert rep.id is not None
    rep_id = rep.id
    last = datetime(2199, 12, 31, 23, 0, tzinfo=SHANGHAI)

    leave = in_transaction(
        uow,
        lambda: org.add_leave(
            uow=uow,
            rep_id=rep_id,
            starts_at=last - timedelta(days=3),
            ends_at=last,
            actor=SYSTEM,
            now=clock.now(),
        ),
    )

    assert leave.ends_at == last


# --- bulk assignments and categories --------------------------------------------------------


@pytest.mark.parametrize(
    ("customers", "reps", "field"),
    [(MAX_BULK_CUSTOMERS + 1, 1, "customer_ids"), (1, MAX_SPREAD_REPS + 1, "rep_ids")],
)
def test_a_bulk_assignment_over_the_bound_is_refused_before_locking_anything(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    customers: int,
    reps: int,
    field: str,
) -> None:
    no_lookups(uow, monkeypatch)

    error = refused(
        uow,
        ValidationFailed,
        lambda: bulk_assign(
            uow=uow,
            customer_ids=list(range(1, customers + 1)),
            rep_ids=list(range(1, reps + 1)),
            actor=SYSTEM,
            now=clock.now(),
        ),
    )

    assert bad_fields(error) == {field}


def test_a_bulk_assignment_at_the_bound_goes_ahead(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock)
    customer = a_customer(uow, clock)
    assert rep.id is not None and customer.id is not None
    rep_id, customer_id = rep.id, customer.id

    done = in_transaction(
        uow,
        lambda: bulk_assign(
            uow=uow, customer_ids=[customer_id], rep_ids=[rep_id], actor=SYSTEM, now=clock.now()
        ),
    )

    assert [a.to_rep_id for a in done] == [rep_id]


def test_a_category_dimension_holds_at_most_max_values(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    def fill() -> None:
        for n in range(categories.MAX_VALUES):
            categories.add_value(
                uow=uow, key="region", code=f"R{n}", label=None, actor=SYSTEM, now=clock.now()
            )

    in_transaction(uow, fill)

    error = refused(
        uow,
        ValidationFailed,
        lambda: categories.add_value(
            uow=uow, key="region", code="One more", label=None, actor=SYSTEM, now=clock.now()
        ),
    )

    assert bad_fields(error) == {"code"}
    assert f"at most {categories.MAX_VALUES}" in message_for(error, "code")
