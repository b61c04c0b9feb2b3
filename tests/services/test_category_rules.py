"""Merging or retiring a category value that rules test never changes routing silently:
a merge carries the rules along as new versions noting it, or is refused naming them."""

from __future__ import annotations

from random import Random
from typing import Any

import pytest

from fenpei.domain.errors import UsedByRules
from fenpei.domain.org import Rep
from fenpei.domain.rules import Rule
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services._category_rules import recode, use_of
from fenpei.services.categories import merge_values, retire_value
from fenpei.services.intake import create_and_route
from fenpei.services.rulebook import RuleBook
from fenpei.services.rules import create_rule
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, refused

ADMIN = Actor("root", Role.admin)


def _rule(
    uow: FakeUnitOfWork, clock: FixedClock, name: str, conditions: dict[str, Any], rep: Rep
) -> Rule:
    fields = {
        "name": name,
        "conditions": conditions,
        "target": {"kind": "reps", "rep_ids": [rep.id]},
    }
    return in_transaction(
        uow, lambda: create_rule(uow=uow, fields=fields, actor=SYSTEM, now=clock.now())
    )


def _now(uow: FakeUnitOfWork, rule: Rule) -> Rule:
    with uow:
        found = uow.rules.get(rule.id or 0)
    assert found is not None
    return found


def _owner_of_new(uow: FakeUnitOfWork, clock: FixedClock, **fields: object) -> int | None:
    customer, _ = in_transaction(
        uow,
        lambda: create_and_route(
            uow=uow,
            rulebook=RuleBook(),
            fields={"name": "Lead", **fields},
            actor=SYSTEM,
            now=clock.now(),
            rng=Random(1),
        ),
    )
    return customer.owner_id


def test_a_merge_carries_every_rule_testing_the_value_as_a_noted_new_version(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, other = a_rep(uow, clock, "Wang"), a_rep(uow, clock, "Zhao")
    equal = _rule(uow, clock, "C leads", {"field": "level", "op": "eq", "value": "C"}, rep)
    listed = _rule(uow, clock, "C or D", {"field": "level", "op": "in", "value": ["c", "D"]}, rep)
    excluded = _rule(
        uow, clock, "Not C", {"not": {"field": "level", "op": "ne", "value": "C"}}, rep
    )
    untouched = _rule(uow, clock, "A only", {"field": "level", "op": "eq", "value": "A"}, other)
    a_customer(uow, clock, "Old C", level="C")

    merged = in_transaction(
        uow,
        lambda: merge_values(
            uow=uow, key="level", code="C", into="D", actor=ADMIN, now=clock.now()
        ),
    )

    assert merged.moved == 1
    assert [(r.rule_id, r.version) for r in merged.rules] == [
        (equal.id, 2),
        (listed.id, 2),
        (excluded.id, 2),
    ]
    assert _now(uow, equal).conditions == {"field": "level", "op": "eq", "value": "D"}
    assert _now(uow, listed).conditions == {"field": "level", "op": "in", "value": ["D"]}
    assert _now(uow, excluded).conditions == {"not": {"field": "level", "op": "ne", "value": "D"}}
    assert _now(uow, untouched).version == 1
    latest = uow.rules.versions(equal.id or 0)[-1]
    assert (latest.version, latest.actor, latest.note) == (
        2,
        "root",
        {"kind": "category_merge", "category": "level", "code": "C", "into": "D"},
    )
    assert uow.rules.versions(equal.id or 0)[0].note is None
    # A customer of the merged-into value now routes as the rule meant for the merged one.
    assert _owner_of_new(uow, clock, level="D") == rep.id


def test_a_text_match_the_merge_would_change_refuses_it_naming_the_rule(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    # "Retail" starts with "ret", "Commerce" does not: a rewrite cannot carry this test.
    blocking = _rule(
        uow, clock, "Ret*", {"field": "industry", "op": "starts_with", "value": "ret"}, rep
    )
    carried = _rule(uow, clock, "Retail", {"field": "industry", "op": "eq", "value": "retail"}, rep)
    # A text match that answers the same for both values does not stand in the way...
    _rule(uow, clock, "Tech", {"field": "industry", "op": "contains", "value": "tech"}, rep)
    for code in ("retail", "commerce"):
        in_transaction(uow, lambda code=code: _add_industry(uow, clock, code))
    customer = a_customer(uow, clock, "Shop", industry="retail")

    error = refused(
        uow,
        UsedByRules,
        lambda: merge_values(
            uow=uow, key="industry", code="retail", into="commerce", actor=ADMIN, now=clock.now()
        ),
    )

    assert (error.action, error.rules) == ("merge", [(blocking.id, "Ret*")])
    assert f"#{blocking.id} 'Ret*'" in str(error)
    # ... and nothing moved: not the customer, not the rule that could have been carried.
    assert uow.customers.get(customer.id or 0).industry == "retail"  # type: ignore[union-attr]
    assert _now(uow, carried).version == 1
    assert _now(uow, carried).conditions["value"] == "retail"


def _add_industry(uow: FakeUnitOfWork, clock: FixedClock, code: str) -> None:
    from fenpei.services.categories import add_value

    add_value(uow=uow, key="industry", code=code, label=code.title(), actor=ADMIN, now=clock.now())


def test_retiring_a_value_a_rule_tests_is_refused_naming_the_rules(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    first = _rule(uow, clock, "D leads", {"field": "level", "op": "eq", "value": "D"}, rep)
    second = _rule(uow, clock, "B-D", {"any": [_level("in", ["B", "d"])]}, rep)

    error = refused(
        uow,
        UsedByRules,
        lambda: retire_value(uow=uow, key="level", code="D", actor=ADMIN, now=clock.now()),
    )

    assert (error.action, error.rules) == ("retire", [(first.id, "D leads"), (second.id, "B-D")])
    assert f"rules #{first.id} 'D leads', #{second.id} 'B-D'" in str(error)
    level = uow.categories.get("level")
    assert level is not None
    assert not any(v.retired for v in uow.categories.values(level.id or 0))
    # A value no rule tests retires as before.
    value = in_transaction(
        uow, lambda: retire_value(uow=uow, key="level", code="A", actor=ADMIN, now=clock.now())
    )
    assert value.retired


def _level(op: str, value: object = None, field: str = "level") -> dict[str, Any]:
    return {"field": field, "op": op} | ({} if value is None else {"value": value})


@pytest.mark.parametrize(
    ("leaf", "expected"),
    [
        (_level("eq", " c "), _level("eq", "D")),
        (_level("ne", "C"), _level("ne", "D")),
        (_level("in", ["A", "C", "D"]), _level("in", ["A", "D"])),
        (_level("not_in", ["C", "B"]), _level("not_in", ["D", "B"])),
        (_level("eq", "A"), _level("eq", "A")),
        (_level("eq", "C", field="region"), _level("eq", "C", field="region")),
        (_level("is_empty"), _level("is_empty")),
    ],
)
def test_recode_rewrites_equality_tests_of_the_field_only(
    leaf: dict[str, Any], expected: dict[str, Any]
) -> None:
    tree = {"all": [leaf, {"not": {"any": [leaf]}}]}
    assert recode(tree, "level", "C", "D") == {"all": [expected, {"not": {"any": [expected]}}]}


@pytest.mark.parametrize(
    ("leaf", "into", "expected"),
    [
        ({"field": "industry", "op": "eq", "value": "Retail"}, "commerce", True),
        ({"field": "industry", "op": "eq", "value": "food"}, "commerce", None),
        ({"field": "industry", "op": "contains", "value": "tail"}, "commerce", False),
        ({"field": "industry", "op": "contains", "value": "tail"}, "detail", None),
        ({"field": "industry", "op": "regex", "value": "^x"}, "commerce", False),
        ({"field": "industry", "op": "starts_with", "value": "re"}, None, False),
        ({"field": "industry", "op": "starts_with", "value": "co"}, None, None),
        ({"field": "region", "op": "eq", "value": "retail"}, "commerce", None),
    ],
)
def test_use_of_tells_carried_from_stuck_tests(
    leaf: dict[str, Any], into: str | None, expected: bool | None
) -> None:
    assert use_of({"any": [leaf]}, "industry", "retail", into) is expected
