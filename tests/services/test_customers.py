"""Customer records: create, update, soft delete, read and list, with audit and clear errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from fenpei.domain.companies import Company
from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.customers import Stage
from fenpei.domain.errors import NotFound, ValidationFailed
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.customers import (
    create_customer,
    delete_customer,
    find_customer,
    get_customer,
    list_customers,
    update_customer,
)
from fenpei.services.ports import CUSTOMER_SORT_KEYS, CustomerQuery
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, bad_fields, message_for, refused

ALICE = Actor("alice", Role.admin)


def _create(uow: FakeUnitOfWork, clock: FixedClock, **fields: object) -> None:
    create_customer(uow=uow, fields=fields, actor=ALICE, now=clock.now())


def _update(uow: FakeUnitOfWork, clock: FixedClock, customer_id: int, **fields: object) -> None:
    update_customer(uow=uow, customer_id=customer_id, fields=fields, actor=ALICE, now=clock.now())


def test_create_customer_stores_cleaned_fields_unowned_and_stamped(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    created = a_customer(
        uow, clock, " 李雷 ", email=" li@example.com ", tags="vip, 华东", expected_value="12.346"
    )
    with uow:
        customer = get_customer(uow=uow, customer_id=created.id or 0)
    assert customer.name == "李雷"
    assert customer.email == "li@example.com"
    assert customer.tags == ["vip", "华东"]
    assert customer.expected_value == Decimal("12.35")
    assert customer.owner_id is None and customer.stage is Stage.new
    assert customer.created_at == customer.updated_at == clock.now()


def test_create_customer_is_audited_with_who_and_what(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    with uow:
        customer = create_customer(
            uow=uow, fields={"name": "Li Lei", "level": "A"}, actor=ALICE, now=clock.now()
        )
        uow.commit()
    [entry] = uow.audit.find(object_type="customer")
    assert (entry.actor, entry.action, entry.object_id) == ("alice", "create", str(customer.id))
    assert entry.after["name"] == "Li Lei" and entry.after["level"] == "A"
    assert entry.before == {}


def test_create_customer_with_bad_email_and_level_names_both_fields_and_writes_nothing(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    error = refused(
        uow, ValidationFailed, lambda: _create(uow, clock, name="Li Lei", email="li@", level="Z")
    )
    assert bad_fields(error) == {"email", "level"}
    assert "name@example.com" in message_for(error, "email")
    assert message_for(error, "level") == "'Z' is not a level (one of A, B, C, D)"


def test_create_customer_lists_every_problem_in_one_answer(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    error = refused(
        uow,
        ValidationFailed,
        lambda: _create(
            uow, clock, email="nope", customer_type="alien", colour="red", custom={"x": 1}
        ),
    )
    assert bad_fields(error) == {"name", "email", "customer_type", "colour", "custom.x"}


def test_level_given_by_label_is_stored_as_its_code(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    created = a_customer(uow, clock, level="a", customer_type="person / 个人")
    assert (created.level, created.customer_type) == ("A", "person")


def test_open_categories_keep_new_values_as_given(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    created = a_customer(uow, clock, source="Douyin ads", industry="New energy")
    assert (created.source, created.industry) == ("Douyin ads", "New energy")


def test_a_valid_but_padded_level_is_not_blamed_when_another_field_is_bad(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    error = refused(
        uow, ValidationFailed, lambda: _create(uow, clock, name="Li Lei", email="x", level=" a ")
    )
    assert bad_fields(error) == {"email"}
    assert a_customer(uow, clock, level=" a ").level == "A"


def test_external_id_already_used_is_refused_naming_the_holder(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    holder = a_customer(uow, clock, external_id="crm-1")
    error = refused(
        uow, ValidationFailed, lambda: _create(uow, clock, name="Han Meimei", external_id="crm-1")
    )
    assert error.errors[0].field == "external_id"
    assert f"already used by customer {holder.id}" in error.errors[0].message


def test_company_is_linked_by_exact_name_when_it_exists(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    company = Company(name="Acme 科技", created_at=clock.now())
    in_transaction(uow, lambda: uow.companies.add(company))
    linked = a_customer(uow, clock, company_name="Acme 科技")
    unknown = a_customer(uow, clock, "Han Meimei", company_name="Nobody Ltd")
    assert linked.company_id == company.id
    assert (unknown.company_id, unknown.company_name) == (None, "Nobody Ltd")


def _define_custom_fields(uow: FakeUnitOfWork, *, tier_required: bool = False) -> None:
    def define() -> None:
        uow.custom_fields.add(
            CustomField(
                key="tier",
                label="Tier",
                kind=FieldKind.choice,
                choices=["gold", "silver"],
                required=tier_required,
            )
        )
        uow.custom_fields.add(CustomField(key="budget", label="Budget", kind=FieldKind.number))

    in_transaction(uow, define)


def test_custom_attributes_are_checked_against_their_definitions(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _define_custom_fields(uow)
    created = a_customer(uow, clock, custom={"tier": "gold", "budget": "2500"})
    assert created.custom == {"tier": "gold", "budget": 2500.0}
    error = refused(
        uow, ValidationFailed, lambda: _create(uow, clock, name="x", custom={"tier": "bronze"})
    )
    assert bad_fields(error) == {"custom.tier"}


@pytest.mark.parametrize("custom", [{}, None, "absent"])
def test_a_required_custom_attribute_is_required_even_when_custom_is_left_out(
    uow: FakeUnitOfWork, clock: FixedClock, custom: object
) -> None:
    _define_custom_fields(uow, tier_required=True)
    fields: dict[str, object] = {"name": "Li Lei"}
    if custom != "absent":
        fields["custom"] = custom
    error = refused(uow, ValidationFailed, lambda: _create(uow, clock, **fields))
    assert bad_fields(error) == {"custom.tier"}


def test_an_update_without_custom_leaves_required_attributes_alone(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    created = a_customer(uow, clock)  # before the attribute was defined
    _define_custom_fields(uow, tier_required=True)
    in_transaction(uow, lambda: _update(uow, clock, created.id or 0, city="Ningbo"))
    with uow:
        assert get_customer(uow=uow, customer_id=created.id or 0).city == "Ningbo"


def test_create_customer_with_a_date_only_created_at_stores_utc_midnight(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    created = a_customer(uow, clock, created_at="2024-01-05")
    with uow:
        stored = get_customer(uow=uow, customer_id=created.id or 0)
    assert stored.created_at == datetime(2024, 1, 5, tzinfo=UTC)
    assert stored.updated_at == clock.now()


@pytest.mark.parametrize("value", ["0001-01-01T00:00+08:00", "9999-12-31T23:00-05:00"])
def test_a_date_at_the_edge_of_the_calendar_is_refused_or_stored(
    uow: FakeUnitOfWork, clock: FixedClock, value: str
) -> None:
    with uow:
        try:
            create_customer(
                uow=uow,
                fields={"name": "Li Lei", "created_at": value},
                actor=ALICE,
                now=clock.now(),
            )
        except ValidationFailed as exc:
            assert bad_fields(exc) == {"created_at"}
        else:
            uow.commit()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("employees", 10**12, "must be between 0 and 2147483647"),
        ("revenue", "1e20", "must be between 0 and 99999999999999.99"),
        ("expected_value", "100000000000000", "must be between 0 and 99999999999999.99"),
    ],
)
def test_numbers_too_large_for_the_database_are_refused_by_naming_the_field(
    uow: FakeUnitOfWork, clock: FixedClock, field: str, value: object, message: str
) -> None:
    fields = {"name": "Li Lei", field: value}
    error = refused(
        uow,
        ValidationFailed,
        lambda: create_customer(uow=uow, fields=fields, actor=ALICE, now=clock.now()),
    )
    assert message_for(error, field) == message and len(error.errors) == 1


def test_the_largest_numbers_the_database_holds_are_stored(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    created = a_customer(uow, clock, employees=2**31 - 1, revenue="99,999,999,999,999.99")
    assert (created.employees, created.revenue) == (2**31 - 1, Decimal("99999999999999.99"))


@pytest.mark.parametrize("stage", ["won", "lost"])
def test_a_customer_created_closed_is_stamped_closed_now(
    uow: FakeUnitOfWork, clock: FixedClock, stage: str
) -> None:
    created = a_customer(uow, clock, stage=stage)
    assert created.closed_at == clock.now()
    given = a_customer(uow, clock, "Han Meimei", stage=stage, closed_at="2024-01-05T10:00")
    assert given.closed_at == datetime(2024, 1, 5, 10, 0, tzinfo=UTC)
    assert a_customer(uow, clock, "Zhang Wei", stage="qualified").closed_at is None


def test_update_changes_only_the_given_fields_and_audits_before_and_after(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    created = a_customer(uow, clock, email="li@example.com", city="Hangzhou")
    clock.advance(hours=1)
    in_transaction(uow, lambda: _update(uow, clock, created.id or 0, email="lilei@example.com"))
    with uow:
        customer = get_customer(uow=uow, customer_id=created.id or 0)
    assert (customer.email, customer.city) == ("lilei@example.com", "Hangzhou")
    assert customer.updated_at == clock.now() != customer.created_at
    update = uow.audit.find(object_type="customer")[0]
    assert (update.action, update.actor) == ("update", "alice")
    assert created.updated_at is not None
    assert update.before == {
        "email": "li@example.com",
        "updated_at": created.updated_at.isoformat(),
    }
    assert update.after == {"email": "lilei@example.com", "updated_at": clock.now().isoformat()}


def test_update_with_a_bad_value_changes_nothing(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    created = a_customer(uow, clock, email="li@example.com")
    error = refused(
        uow,
        ValidationFailed,
        lambda: _update(uow, clock, created.id or 0, email="bad", stage="won"),
    )
    assert bad_fields(error) == {"email"}
    with uow:
        assert get_customer(uow=uow, customer_id=created.id or 0).stage is Stage.new


def test_closing_a_customer_stamps_closed_at_and_reopening_clears_it(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    created = a_customer(uow, clock)
    customer_id = created.id or 0
    in_transaction(uow, lambda: _update(uow, clock, customer_id, stage="won"))
    with uow:
        assert get_customer(uow=uow, customer_id=customer_id).closed_at == clock.now()
    clock.advance(days=1)
    in_transaction(uow, lambda: _update(uow, clock, customer_id, stage="contacted"))
    with uow:
        assert get_customer(uow=uow, customer_id=customer_id).closed_at is None


def test_owner_cannot_be_changed_by_an_edit(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    created = a_customer(uow, clock)
    rep = a_rep(uow, clock)
    error = refused(
        uow, ValidationFailed, lambda: _update(uow, clock, created.id or 0, owner_id=rep.id)
    )
    assert bad_fields(error) == {"owner_id"}
    assert "assignment" in error.errors[0].message


def test_update_merges_custom_attributes_into_the_existing_ones(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _define_custom_fields(uow)
    created = a_customer(uow, clock, custom={"tier": "gold"})
    in_transaction(uow, lambda: _update(uow, clock, created.id or 0, custom={"budget": 10}))
    with uow:
        customer = get_customer(uow=uow, customer_id=created.id or 0)
    assert customer.custom == {"tier": "gold", "budget": 10}


def test_a_customer_may_keep_its_own_external_id_on_update(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    created = a_customer(uow, clock, external_id="crm-1")
    in_transaction(
        uow, lambda: _update(uow, clock, created.id or 0, external_id="crm-1", city="Ningbo")
    )
    with uow:
        assert get_customer(uow=uow, customer_id=created.id or 0).city == "Ningbo"


def test_updating_an_unknown_customer_is_not_found(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    error = refused(uow, NotFound, lambda: _update(uow, clock, 404, city="Ningbo"))
    assert (error.kind, error.key) == ("customer", 404)


def test_soft_delete_hides_the_customer_from_list_and_get_but_keeps_its_history(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    kept = a_customer(uow, clock, "Han Meimei")
    gone = a_customer(uow, clock, "Li Lei")
    assigned(uow, clock, gone, a_rep(uow, clock))
    gone_id = gone.id or 0
    in_transaction(
        uow, lambda: delete_customer(uow=uow, customer_id=gone_id, actor=ALICE, now=clock.now())
    )
    with uow:
        with pytest.raises(NotFound):
            get_customer(uow=uow, customer_id=gone_id)
        listed, total = list_customers(uow=uow, query=CustomerQuery(), actor=ALICE)
        assert ([c.id for c in listed], total) == ([kept.id], 1)
        assert len(uow.assignments.for_customer(gone_id)) == 1
    assert uow.audit.find(object_type="customer", object_id=str(gone_id))[0].action == "delete"
    refused(
        uow,
        NotFound,
        lambda: delete_customer(uow=uow, customer_id=gone_id, actor=ALICE, now=clock.now()),
    )


def test_list_customers_filters_sorts_and_pages(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    for name, level in (("Zhang Wei", "A"), ("Li Lei", "B"), ("Han Meimei", "A")):
        a_customer(uow, clock, name, level=level, email=f"{name.split()[0].lower()}@example.com")
        clock.advance(minutes=1)
    with uow:
        newest, total = list_customers(uow=uow, query=CustomerQuery(limit=2), actor=ALICE)
        assert ([c.name for c in newest], total) == (["Han Meimei", "Li Lei"], 3)
        level_a, _ = list_customers(
            uow=uow, query=CustomerQuery(level="A", sort="name"), actor=ALICE
        )
        assert [c.name for c in level_a] == ["Han Meimei", "Zhang Wei"]
        found, _ = list_customers(uow=uow, query=CustomerQuery(text="ZHANG@"), actor=ALICE)
        assert [c.name for c in found] == ["Zhang Wei"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (CustomerQuery(limit=0), "limit"),
        (CustomerQuery(limit=501), "limit"),
        (CustomerQuery(offset=-1), "offset"),
    ],
)
def test_list_customers_refuses_bad_paging_naming_the_parameter(
    uow: FakeUnitOfWork, query: CustomerQuery, field: str
) -> None:
    with uow, pytest.raises(ValidationFailed) as caught:
        list_customers(uow=uow, query=query, actor=ALICE)
    assert bad_fields(caught.value) == {field}


@pytest.mark.parametrize("key", sorted(CUSTOMER_SORT_KEYS - {"due"}))  # "due": a computed key
def test_list_customers_sorts_by_each_sort_key_either_way(
    uow: FakeUnitOfWork, clock: FixedClock, key: str
) -> None:
    rep = a_rep(uow, clock)
    first = a_customer(uow, clock, "Zhang Wei", expected_value=5, score=90, stage="won", level="B")
    clock.advance(minutes=1)
    second = a_customer(uow, clock, "Han Meimei", expected_value=50, score=10, level="A")
    for customer in (second, first):
        clock.advance(minutes=1)
        assigned(uow, clock, customer, rep)
    for days, customer in enumerate((first, second), start=1):  # set by follow-ups only
        found = customer.id or 0
        plan = clock.now() + timedelta(days=days)
        in_transaction(uow, lambda: setattr(uow.customers.get(found), "next_follow_up_at", plan))  # noqa: B023
    with uow:
        stored = list_customers(uow=uow, query=CustomerQuery(), actor=ALICE)[0]
        ascending = [c.id for c in sorted(stored, key=lambda c: getattr(c, key))]
        for sort, expected in ((key, ascending), (f"-{key}", ascending[::-1])):
            found, _ = list_customers(uow=uow, query=CustomerQuery(sort=sort), actor=ALICE)
            assert [c.id for c in found] == expected, sort


def test_list_customers_by_due_puts_the_earliest_follow_up_first_and_nothing_due_last(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    made = [a_customer(uow, clock, name) for name in ("Later", "Never", "Sooner")]
    for customer in made:
        assigned(uow, clock, customer, rep)
    for days, customer in ((3, made[0]), (1, made[2])):
        found = customer.id or 0
        plan = clock.now() + timedelta(days=days)
        in_transaction(uow, lambda: setattr(uow.customers.get(found), "next_follow_up_at", plan))  # noqa: B023
    with uow:
        due, _ = list_customers(uow=uow, query=CustomerQuery(sort="due"), actor=ALICE)
        latest, _ = list_customers(uow=uow, query=CustomerQuery(sort="-due"), actor=ALICE)

    assert [c.name for c in due] == ["Sooner", "Later", "Never"]
    assert [c.name for c in latest] == ["Later", "Sooner", "Never"]


@pytest.mark.parametrize("sort", ["colour", "--name", "name-", "Name", "", "owner_id"])
def test_list_customers_refuses_an_unknown_sort_key_naming_the_keys(
    uow: FakeUnitOfWork, sort: str
) -> None:
    with uow, pytest.raises(ValidationFailed) as caught:
        list_customers(uow=uow, query=CustomerQuery(sort=sort), actor=ALICE)
    keys = ", ".join(sorted(CUSTOMER_SORT_KEYS))
    assert message_for(caught.value, "sort") == (
        f"{sort!r} is not one of {keys} (prefix - for descending)"
    )


def test_list_customers_text_search_takes_wildcards_literally(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    for name in ("50% off Ltd", "500 Club", "a_b Trading", "aXb Trading", "C:\\dir"):
        a_customer(uow, clock, name)
    with uow:

        def names(text: str) -> list[str]:
            found, _ = list_customers(
                uow=uow, query=CustomerQuery(text=text, sort="name"), actor=ALICE
            )
            return [c.name for c in found]

        assert names("50%") == ["50% off Ltd"]
        assert names("a_b") == ["a_b Trading"]
        assert names("%") == ["50% off Ltd"]
        assert names("\\") == ["C:\\dir"]


def test_find_customer_by_id_or_external_id(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    created = a_customer(uow, clock, external_id="maven:1C1I7A6R")
    with uow:
        assert find_customer(uow=uow, ref=f" {created.id} ", actor=ALICE).name == "Li Lei"
        assert find_customer(uow=uow, ref="maven:1C1I7A6R", actor=ALICE).id == created.id
        with pytest.raises(NotFound):
            find_customer(uow=uow, ref="maven:nobody", actor=ALICE)


def test_a_customer_created_by_the_system_and_edited_later_keeps_both_in_the_audit(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    created = a_customer(uow, clock)
    clock.advance(timedelta(minutes=5))
    in_transaction(uow, lambda: _update(uow, clock, created.id or 0, city="Suzhou"))
    entries = uow.audit.find(object_type="customer", object_id=str(created.id))
    assert [(e.action, e.actor) for e in entries] == [("update", "alice"), ("create", SYSTEM.name)]
