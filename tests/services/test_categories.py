"""Categories: values added, renamed, merged, retired; customers keep codes; counts per value."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest

from fenpei.domain.categories import CategoryValue
from fenpei.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.categories import (
    add_value,
    category_overview,
    ensure_default_categories,
    merge_values,
    rename_value,
    retire_value,
    value_counts,
)
from fenpei.services.customers import create_customer, delete_customer, get_customer
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, bad_fields, message_for, refused

ADMIN = Actor("root", Role.admin)


def _levels(uow: FakeUnitOfWork) -> list[CategoryValue]:
    category = uow.categories.get("level")
    assert category is not None and category.id is not None
    return uow.categories.values(category.id)


def _level_of(uow: FakeUnitOfWork, customer_id: int | None) -> str | None:
    with uow:
        return get_customer(uow=uow, customer_id=customer_id or 0).level


def _counts(uow: FakeUnitOfWork, key: str = "level") -> dict[str, int]:
    with uow:
        return {v.code: n for v, n in value_counts(uow=uow, key=key)}


def test_default_categories_are_created_once(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    in_transaction(uow, lambda: ensure_default_categories(uow=uow, actor=SYSTEM, now=clock.now()))
    assert [c.key for c in uow.categories.all()] == [
        "customer_type",
        "follow_up_type",
        "industry",
        "level",
        "lost_reason",
        "region",
        "return_reason",
        "source",
        "task_category",
        "task_type",
    ]
    assert [v.code for v in _levels(uow)] == ["A", "B", "C", "D"]
    source = uow.categories.get("source")
    assert source is not None and not source.strict


def test_add_value_appends_it_last_and_audits(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    value = in_transaction(
        uow,
        lambda: add_value(
            uow=uow, key="level", code=" S ", label="Strategic / 战略", actor=ADMIN, now=clock.now()
        ),
    )
    assert (value.code, value.label, value.position) == ("S", "Strategic / 战略", 4)
    assert [v.code for v in _levels(uow)] == ["A", "B", "C", "D", "S"]
    [entry] = uow.audit.find(object_type="categoryvalue")
    assert (entry.action, entry.actor, entry.after["code"]) == ("create", "root", "S")


def test_add_value_without_label_uses_the_code(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    value = in_transaction(
        uow,
        lambda: add_value(
            uow=uow, key="industry", code="Retail", label=None, actor=ADMIN, now=clock.now()
        ),
    )
    assert value.label == "Retail"


def test_adding_an_existing_code_returns_the_value_it_has(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    again = in_transaction(
        uow,
        lambda: add_value(
            uow=uow, key="level", code="B", label="Bee", actor=ADMIN, now=clock.now()
        ),
    )
    assert (again.code, again.label) == ("B", "B")
    assert len(_levels(uow)) == 4


@pytest.mark.parametrize("code", ["", "   ", "x" * 101])
def test_add_value_refuses_a_code_that_is_empty_or_too_long(
    uow: FakeUnitOfWork, clock: FixedClock, code: str
) -> None:
    error = refused(
        uow,
        ValidationFailed,
        lambda: add_value(
            uow=uow, key="level", code=code, label=None, actor=ADMIN, now=clock.now()
        ),
    )
    assert message_for(error, "code") == "must be 1 to 100 characters"


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_label_falls_back_to_the_code(
    uow: FakeUnitOfWork, clock: FixedClock, blank: str
) -> None:
    value = in_transaction(
        uow,
        lambda: add_value(
            uow=uow, key="level", code=" S ", label=blank, actor=ADMIN, now=clock.now()
        ),
    )
    assert (value.code, value.label) == ("S", "S")


def test_a_label_longer_than_100_characters_is_refused_by_naming_it(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    def add(label: str) -> CategoryValue:
        return add_value(uow=uow, key="level", code="S", label=label, actor=ADMIN, now=clock.now())

    def rename(label: str) -> CategoryValue:
        return rename_value(
            uow=uow, key="level", code="B", label=label, actor=ADMIN, now=clock.now()
        )

    for change in (add, rename):
        error = refused(uow, ValidationFailed, partial(change, "L" * 101))
        assert message_for(error, "label") == "must be 1 to 100 characters"
        stored = in_transaction(uow, partial(change, f" {'L' * 100} "))
        assert stored.label == "L" * 100


def test_adding_a_retired_code_points_to_restore_and_a_merged_one_to_its_successor(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    in_transaction(
        uow, lambda: retire_value(uow=uow, key="level", code="D", actor=ADMIN, now=clock.now())
    )
    in_transaction(
        uow,
        lambda: merge_values(
            uow=uow, key="level", code="C", into="B", actor=ADMIN, now=clock.now()
        ),
    )
    expected = {
        "D": "level value 'D' exists but is retired; restore it",
        "C": "level value 'C' was merged into another value; use that one",
    }
    for code, message in expected.items():
        add = partial(
            add_value, uow=uow, key="level", code=code, label=None, actor=ADMIN, now=clock.now()
        )
        assert message_for(refused(uow, ValidationFailed, add), "code") == message
    assert len(_levels(uow)) == 4


def test_rename_keeps_customers_codes_and_the_new_label_is_understood(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    existing = a_customer(uow, clock, level="B")
    value = in_transaction(
        uow,
        lambda: rename_value(
            uow=uow, key="level", code="B", label=" Gold / 金牌 ", actor=ADMIN, now=clock.now()
        ),
    )
    assert value.label == "Gold / 金牌"
    assert _level_of(uow, existing.id) == "B"
    assert a_customer(uow, clock, "Han Meimei", level="gold / 金牌").level == "B"
    entry = uow.audit.find(object_type="categoryvalue")[0]
    assert (entry.action, entry.before, entry.after) == (
        "rename",
        {"label": "B"},
        {"label": "Gold / 金牌"},
    )


def test_rename_refuses_an_empty_label(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    error = refused(
        uow,
        ValidationFailed,
        lambda: rename_value(
            uow=uow, key="level", code="B", label=" ", actor=ADMIN, now=clock.now()
        ),
    )
    assert bad_fields(error) == {"label"}


def test_merge_moves_customers_and_retires_the_source(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    moving = [a_customer(uow, clock, f"C{n}", level="C") for n in range(2)]
    staying = a_customer(uow, clock, "Dee", level="D")
    moved = in_transaction(
        uow,
        lambda: merge_values(
            uow=uow, key="level", code="C", into="D", actor=ADMIN, now=clock.now()
        ),
    )
    assert moved.moved == 2 and moved.rules == []
    assert [_level_of(uow, c.id) for c in [*moving, staying]] == ["D", "D", "D"]
    source = next(v for v in _levels(uow) if v.code == "C")
    target = next(v for v in _levels(uow) if v.code == "D")
    assert source.retired and source.merged_into_id == target.id
    assert _counts(uow) == {"A": 0, "B": 0, "C": 0, "D": 3}
    error = refused(
        uow,
        ValidationFailed,
        lambda: create_customer(
            uow=uow, fields={"name": "new", "level": "C"}, actor=ADMIN, now=clock.now()
        ),
    )
    assert bad_fields(error) == {"level"}
    assert uow.audit.find(object_type="categoryvalue")[0].action == "merge"


def test_merge_into_itself_or_into_a_retired_value_is_refused(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    def merge(code: str, into: str) -> None:
        merge_values(uow=uow, key="level", code=code, into=into, actor=ADMIN, now=clock.now())

    assert bad_fields(refused(uow, ValidationFailed, lambda: merge("C", "C"))) == {"into"}
    in_transaction(
        uow, lambda: retire_value(uow=uow, key="level", code="D", actor=ADMIN, now=clock.now())
    )
    error = refused(uow, ValidationFailed, lambda: merge("C", "D"))
    assert message_for(error, "into") == "'D' is retired or merged"


def test_retire_hides_the_value_from_new_input_but_customers_keep_it(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    holder = a_customer(uow, clock, level="D")
    in_transaction(
        uow, lambda: retire_value(uow=uow, key="level", code="D", actor=ADMIN, now=clock.now())
    )
    assert _level_of(uow, holder.id) == "D"
    assert _counts(uow)["D"] == 1
    error = refused(
        uow,
        ValidationFailed,
        lambda: create_customer(
            uow=uow, fields={"name": "new", "level": "D"}, actor=ADMIN, now=clock.now()
        ),
    )
    assert message_for(error, "level") == "'D' is not a level (one of A, B, C)"
    in_transaction(
        uow,
        lambda: retire_value(
            uow=uow, key="level", code="D", actor=ADMIN, now=clock.now(), retired=False
        ),
    )
    assert a_customer(uow, clock, "again", level="D").level == "D"
    assert [e.action for e in uow.audit.find(object_type="categoryvalue")] == ["restore", "retire"]


def test_value_counts_count_live_customers_per_value(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    for name, level in (("a1", "A"), ("a2", "A"), ("b1", "B"), ("none", None)):
        a_customer(uow, clock, name, level=level)
    deleted = a_customer(uow, clock, "gone", level="B")
    in_transaction(
        uow,
        lambda: delete_customer(uow=uow, customer_id=deleted.id or 0, actor=ADMIN, now=clock.now()),
    )
    assert _counts(uow) == {"A": 2, "B": 1, "C": 0, "D": 0}


def test_unknown_category_or_value_is_not_found(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    unknown_key = refused(
        uow,
        NotFound,
        lambda: rename_value(
            uow=uow, key="mood", code="A", label="x", actor=ADMIN, now=clock.now()
        ),
    )
    assert (unknown_key.kind, unknown_key.key) == ("category", "mood")
    unknown_code = refused(
        uow,
        NotFound,
        lambda: retire_value(uow=uow, key="level", code="Z", actor=ADMIN, now=clock.now()),
    )
    assert (unknown_code.kind, unknown_code.key) == ("level value", "Z")


@pytest.mark.parametrize("role", [Role.manager, Role.rep, Role.auditor])
def test_only_an_admin_changes_categories(
    uow: FakeUnitOfWork, clock: FixedClock, role: Role
) -> None:
    actor, now = Actor("someone", role, user_id=1), clock.now()
    changes: list[Callable[[], object]] = [
        partial(add_value, uow=uow, key="level", code="S", label=None, actor=actor, now=now),
        partial(rename_value, uow=uow, key="level", code="A", label="x", actor=actor, now=now),
        partial(merge_values, uow=uow, key="level", code="C", into="D", actor=actor, now=now),
        partial(retire_value, uow=uow, key="level", code="D", actor=actor, now=now),
    ]
    for change in changes:
        refused(uow, PermissionDenied, change)


def test_merging_into_a_code_the_dimension_lacks_names_into(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    error = refused(
        uow,
        ValidationFailed,
        lambda: merge_values(
            uow=uow, key="level", code="C", into="Z", actor=ADMIN, now=clock.now()
        ),
    )
    assert message_for(error, "into") == "level has no value 'Z'"


def test_a_merged_value_can_be_neither_restored_nor_merged_again(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    in_transaction(
        uow,
        lambda: merge_values(
            uow=uow, key="level", code="C", into="D", actor=ADMIN, now=clock.now()
        ),
    )
    refused(
        uow,
        Conflict,
        lambda: retire_value(
            uow=uow, key="level", code="C", actor=ADMIN, now=clock.now(), retired=False
        ),
    )
    refused(
        uow,
        Conflict,
        lambda: merge_values(
            uow=uow, key="level", code="C", into="B", actor=ADMIN, now=clock.now()
        ),
    )


def test_the_overview_lists_every_dimension_with_counts_per_value(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    a_customer(uow, clock, "a", level="A", source="web")
    a_customer(uow, clock, "b", level="A")
    with uow:
        overview = {c.category.key: c for c in category_overview(uow=uow)}
    assert list(overview) == [
        "customer_type", "follow_up_type", "industry", "level", "lost_reason", "region",
        "return_reason", "source", "task_category", "task_type",
    ]  # fmt: skip
    assert [(v.code, n) for v, n in overview["level"].values] == [
        ("A", 2),
        ("B", 0),
        ("C", 0),
        ("D", 0),
    ]
    assert dict((v.code, n) for v, n in overview["source"].values)["web"] == 1
