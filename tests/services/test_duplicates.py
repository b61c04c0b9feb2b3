"""The duplicate check (查重): matches by key, told as the asker's scope allows; phone and
email stop a create, a company does not; pooled contacts masked outside the pool page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fenpei.domain.customers import Customer
from fenpei.domain.duplicates import DuplicateFound
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.org import Rep
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import customers, org
from fenpei.services.duplicates import check_before_create, find_duplicates
from fenpei.services.pool.terms import set_terms
from fenpei.services.ports import CustomerQuery
from fenpei.services.users import create_user
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, bad_fields

ADMIN = Actor("root", Role.admin)


def _rep_actor(rep: Rep) -> Actor:
    return Actor(rep.name, Role.rep, rep_id=rep.id, user_id=100 + (rep.id or 0))


def _find(uow: FakeUnitOfWork, clock: FixedClock, actor: Actor, **given: str) -> list:  # type: ignore[type-arg]
    with uow:
        return find_duplicates(uow=uow, actor=actor, now=clock.now(), **given)


def _pooled(uow: FakeUnitOfWork, customer: Customer, pool: str) -> None:
    with uow:
        found = uow.customers.get(customer.id or 0)
        assert found is not None
        found.pool = pool
        uow.commit()


def test_the_same_phone_written_otherwise_is_found_with_what_matched(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    existing = a_customer(
        uow, clock, "张三", phone="+86 138-0013-8000", company_name="星辰科技有限公司"
    )
    a_customer(uow, clock, "李四", phone="13900139000")

    [match] = _find(uow, clock, ADMIN, phone="１３８ ００１３ ８０００", company_name="星辰科技")

    assert match.matched == ("phone", "company_name")
    assert (match.visible, match.customer_id, match.name) == (True, existing.id, "张三")


def test_email_and_company_keys_match_across_case_and_suffixes(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    a_customer(uow, clock, "甲", email="Li.Lei@Example.com", company_name="ACME Co., Ltd.")

    assert [m.matched for m in _find(uow, clock, ADMIN, email=" li.lei@EXAMPLE.COM")] == [
        ("email",)
    ]
    assert [m.matched for m in _find(uow, clock, ADMIN, company_name="Acme Inc.")] == [
        ("company_name",)
    ]
    assert _find(uow, clock, ADMIN, company_name="Acme Trading") == []


def test_outside_the_scope_a_rep_learns_only_the_owner_and_the_protection(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    owner, asker = a_rep(uow, clock, "Wang"), a_rep(uow, clock, "Zhao")
    customer = a_customer(uow, clock, "秘密客户", phone="13800138000", email="boss@secret.cn")
    in_transaction(
        uow,
        lambda: set_terms(
            uow=uow, key="public", fields={"protection_days": 30}, actor=ADMIN, now=clock.now()
        ),
    )
    assigned(uow, clock, customer, owner)

    [match] = _find(uow, clock, _rep_actor(asker), phone="13800138000")

    assert (match.visible, match.customer_id, match.name, match.stage) == (False, None, None, None)
    assert match.owner_name == "Wang"
    assert match.protected_until == clock.now() + timedelta(days=30)
    # The owner sees their own customer in full.
    [own] = _find(uow, clock, _rep_actor(owner), phone="13800138000")
    assert (own.visible, own.customer_id, own.name) == (True, customer.id, "秘密客户")


def test_the_protection_ends_and_is_then_not_told(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    owner, asker = a_rep(uow, clock, "Wang"), a_rep(uow, clock, "Zhao")
    customer = a_customer(uow, clock, "甲", phone="13800138000")
    in_transaction(
        uow,
        lambda: set_terms(
            uow=uow, key="public", fields={"protection_days": 7}, actor=ADMIN, now=clock.now()
        ),
    )
    assigned(uow, clock, customer, owner)
    clock.advance(timedelta(days=7, seconds=1))

    [match] = _find(uow, clock, _rep_actor(asker), phone="13800138000")

    assert (match.owner_name, match.protected_until) == ("Wang", None)


def test_a_customer_in_a_pool_is_told_by_pool_and_hidden_when_the_pool_is_not_yours(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    team = in_transaction(
        uow, lambda: org.create_team(uow=uow, name="East", actor=SYSTEM, now=clock.now())
    )
    outsider = a_rep(uow, clock, "Zhao")
    member = a_rep(uow, clock, "Qian", team_id=team.id)
    public = a_customer(uow, clock, "公海客户", phone="13800138000")
    private = a_customer(uow, clock, "团队客户", phone="13800138000")
    _pooled(uow, public, "public")
    _pooled(uow, private, f"team:{team.id}")

    seen = {m.pool: m for m in _find(uow, clock, _rep_actor(outsider), phone="13800138000")}
    by_member = {m.pool: m for m in _find(uow, clock, _rep_actor(member), phone="13800138000")}

    assert seen["public"].pool_visible and seen["public"].customer_id == public.id
    assert seen["public"].owner_name is None
    hidden = seen[f"team:{team.id}"]
    assert (hidden.pool_visible, hidden.customer_id, hidden.name) == (False, None, None)
    assert by_member[f"team:{team.id}"].customer_id == private.id


def test_exclude_id_leaves_the_customer_itself_out(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    customer = a_customer(uow, clock, "甲", phone="13800138000")
    assert _find(uow, clock, ADMIN, phone="13800138000")
    with uow:
        assert (
            find_duplicates(
                uow=uow, actor=ADMIN, now=clock.now(), phone="13800138000", exclude_id=customer.id
            )
            == []
        )


@pytest.mark.parametrize(
    ("given", "field"),
    [({}, "phone"), ({"phone": "123"}, "phone"), ({"email": "x" * 300}, "email"),
     ({"company_name": "有限公司"}, "company_name")],
)  # fmt: skip
def test_nothing_to_compare_is_an_error_naming_the_field(
    uow: FakeUnitOfWork, clock: FixedClock, given: dict[str, str], field: str
) -> None:
    with uow, pytest.raises(ValidationFailed) as caught:
        find_duplicates(uow=uow, actor=ADMIN, now=clock.now(), **given)
    assert bad_fields(caught.value) == {field}


def test_a_phone_or_email_stops_a_create_but_a_company_alone_does_not(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    a_customer(uow, clock, "甲", phone="13800138000", email="a@b.cn", company_name="星辰科技")

    with uow:
        with pytest.raises(DuplicateFound) as caught:
            check_before_create(
                uow=uow, actor=ADMIN, now=clock.now(), fields={"name": "乙", "email": "A@B.CN"}
            )
        assert [m.matched for m in caught.value.matches] == [("email",)]
        shown = check_before_create(
            uow=uow, actor=ADMIN, now=clock.now(),
            fields={"name": "丙", "company_name": "星辰科技有限公司", "phone": 12},
        )  # fmt: skip
    assert [m.matched for m in shown] == [("company_name",)]


def test_pooled_contacts_are_masked_in_lists_and_reads_for_all_but_admins(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    user = in_transaction(
        uow,
        lambda: create_user(
            uow=uow, hasher=FakeHasher(), username="boss", password="long enough password",
            role=Role.manager, actor=SYSTEM, now=clock.now(),
        ),
    )  # fmt: skip
    team = in_transaction(
        uow,
        lambda: org.create_team(
            uow=uow, name="East", actor=SYSTEM, now=clock.now(), manager_user_id=user.id
        ),
    )
    manager = Actor("boss", Role.manager, user_id=user.id)
    customer = a_customer(
        uow, clock, "甲", phone="13800138000", email="li@example.com", wechat="wx_lilei"
    )
    with uow:
        found = uow.customers.get(customer.id or 0)
        assert found is not None
        found.pool, found.team_id = "public", team.id
        uow.commit()
    in_transaction(
        uow,
        lambda: set_terms(
            uow=uow, key="public", fields={"mask_contacts": True}, actor=ADMIN, now=clock.now()
        ),
    )

    with uow:
        [listed], _ = customers.list_customers(uow=uow, query=CustomerQuery(), actor=manager)
        shown = customers.show_customer(uow=uow, customer_id=customer.id or 0, actor=manager)
        admin_view = customers.show_customer(uow=uow, customer_id=customer.id or 0, actor=ADMIN)
        stored = uow.customers.get(customer.id or 0)
    for seen in (listed, shown):
        assert (seen.phone, seen.email, seen.wechat) == ("138****8000", "l***@example.com", "***")
    assert admin_view.phone == "13800138000"
    assert stored is not None and stored.phone == "13800138000"
