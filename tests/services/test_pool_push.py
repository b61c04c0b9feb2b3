"""The pool's gaps closed: a manager pushes ticked customers to one rep (all or nothing,
each refusal named), a won customer is never returned, a key account ends with its owner,
a claim that collides with another rep's protected customer (撞单) is refused with who and
until when, and the pool's list narrows by level, region, source and days waiting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import pytest

from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.errors import ClaimRefused, NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.org import Rep
from fenpei.domain.phrases import Phrase
from fenpei.domain.users import Actor, Role
from fenpei.services.assignments import assign
from fenpei.services.pool.claims import claim, return_to_pool
from fenpei.services.pool.key_accounts import set_key_account
from fenpei.services.pool.listing import PoolFilter, pool_customers
from fenpei.services.pool.moves import move_to_pool
from fenpei.services.pool.pushes import push_many
from fenpei.services.pool.terms import set_terms
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, refused
from tests.services.test_pool_moves import _manager_of

ADMIN = Actor("root", Role.admin)


def _rep_actor(rep: Rep) -> Actor:
    return Actor(rep.name, Role.rep, rep_id=rep.id, user_id=100 + (rep.id or 0))


def _terms(uow: FakeUnitOfWork, clock: FixedClock, key: str = "public", **fields: object) -> None:
    in_transaction(
        uow, lambda: set_terms(uow=uow, key=key, fields=fields, actor=ADMIN, now=clock.now())
    )


def _waiting(
    uow: FakeUnitOfWork, clock: FixedClock, count: int, pool: str = "public", **fields: object
) -> list[Customer]:
    made = [a_customer(uow, clock, f"Lead {n}", **fields) for n in range(count)]
    with uow:
        for customer in made:
            stored = uow.customers.get(customer.id or 0)
            assert stored is not None
            stored.pool = pool
        uow.commit()
    return made


def _stored(uow: FakeUnitOfWork, customer: Customer) -> Customer:
    with uow:
        found = uow.customers.get(customer.id or 0)
    assert found is not None
    return found


E = TypeVar("E", bound=Exception)


def _all_refused(uow: FakeUnitOfWork, error: type[E], work: Callable[[], object]) -> E:
    """``work`` raises ``error``; what it did before is rolled back with the transaction
    (the caller's; all or nothing), so nothing is left changed."""
    with uow:
        before = uow.dump()
        with pytest.raises(error) as caught:
            work()
        uow.rollback()
        assert uow.dump() == before
    return caught.value


def _push(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    customers: list[Customer],
    rep: Rep,
    actor: Actor = ADMIN,
) -> list[Assignment]:
    ids = [c.id or 0 for c in customers]
    return in_transaction(
        uow,
        lambda: push_many(
            uow=uow, actor=actor, customer_ids=ids, rep_id=rep.id or 0, now=clock.now(),
            from_pool="public",
        ),
    )  # fmt: skip


# 1. Bulk push


def test_a_push_gives_each_ticked_customer_to_the_rep_with_a_record(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    customers = _waiting(uow, clock, 3)
    _terms(uow, clock, daily_claim_cap=1)  # a rep's own claims' limit, not a push's

    records = _push(uow, clock, customers, rep)

    assert [(r.method, r.to_rep_id, r.explanation["kind"]) for r in records] == [
        (AssignMethod.manual, rep.id, "push")
    ] * 3
    assert {(_stored(uow, c).owner_id, _stored(uow, c).pool) for c in customers} == {(rep.id, None)}
    with uow:
        assert len([e for e in uow.audit.find(limit=1000) if e.action == "assign.manual"]) == 3


def test_a_push_past_the_holding_cap_names_each_refused_and_pushes_nothing(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    customers = _waiting(uow, clock, 3)
    _terms(uow, clock, max_owned=2)
    ids = [c.id or 0 for c in customers]

    error = _all_refused(uow, ValidationFailed, lambda: push_many(
        uow=uow, actor=ADMIN, customer_ids=ids, rep_id=rep.id or 0, now=clock.now(),
        from_pool="public",
    ))  # fmt: skip

    [problem] = error.errors
    assert problem.field == "customer_ids"
    assert isinstance(problem.message, Phrase) and problem.message.key == "pool.push.refused"
    assert problem.message.values["id"] == ids[2]
    assert problem.message.values["name"] == "Lead 2"
    assert "as many customers as the pool allows" in problem.message
    assert {_stored(uow, c).owner_id for c in customers} == {None}


def test_a_push_within_the_reps_capacity_only(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock, "Wang", max_open=1)
    customers = _waiting(uow, clock, 2)
    ids = [c.id or 0 for c in customers]
    error = _all_refused(uow, ValidationFailed, lambda: push_many(
        uow=uow, actor=ADMIN, customer_ids=ids, rep_id=rep.id or 0, now=clock.now(),
    ))  # fmt: skip
    assert [str(e.message) for e in error.errors] == [
        f"customer {ids[1]} (Lead 1) cannot go: the rep has no room left"
    ]


def test_a_customer_not_waiting_in_the_pool_is_refused_without_its_name(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    [waiting] = _waiting(uow, clock, 1)
    owned = a_customer(uow, clock, "Owned secret")
    assigned(uow, clock, owned, a_rep(uow, clock, "Zhao"))
    ids = [waiting.id or 0, owned.id or 0, 99_999]
    error = _all_refused(uow, ValidationFailed, lambda: push_many(
        uow=uow, actor=ADMIN, customer_ids=ids, rep_id=rep.id or 0, now=clock.now(),
    ))  # fmt: skip
    shown = [str(e.message) for e in error.errors]
    assert shown == [
        f"customer {owned.id} cannot go: it is not waiting in this pool",
        "customer 99999 cannot go: it is not waiting in this pool",
    ]


def test_a_push_is_for_managers_in_scope_and_admins(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock, "Wang")
    [customer] = _waiting(uow, clock, 1)
    manager, _team = _manager_of(uow, clock, "boss")
    refused(uow, PermissionDenied, lambda: push_many(
        uow=uow, actor=_rep_actor(rep), customer_ids=[customer.id or 0], rep_id=rep.id or 0,
        now=clock.now(),
    ))  # fmt: skip
    refused(uow, NotFound, lambda: push_many(  # Wang is not in the manager's team
        uow=uow, actor=manager, customer_ids=[customer.id or 0], rep_id=rep.id or 0,
        now=clock.now(),
    ))  # fmt: skip
    error = refused(uow, ValidationFailed, lambda: push_many(
        uow=uow, actor=ADMIN, customer_ids=[], rep_id=rep.id or 0, now=clock.now(),
    ))  # fmt: skip
    assert [e.field for e in error.errors] == ["customer_ids"]


def test_an_inactive_rep_is_refused_on_rep_id(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock, "Wang", active=False)
    [customer] = _waiting(uow, clock, 1)
    error = refused(uow, ValidationFailed, lambda: push_many(
        uow=uow, actor=ADMIN, customer_ids=[customer.id or 0], rep_id=rep.id or 0,
        now=clock.now(),
    ))  # fmt: skip
    assert [e.field for e in error.errors] == ["rep_id"]


# 2. Won customers are not returned


def test_a_won_customer_cannot_be_returned_by_its_owner_or_a_manager(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    customer = a_customer(uow, clock)
    assigned(uow, clock, customer, rep)
    with uow:
        stored = uow.customers.get(customer.id or 0)
        assert stored is not None
        stored.stage = Stage.won
        uow.commit()
    for actor in (_rep_actor(rep), ADMIN):
        error = refused(uow, ClaimRefused, lambda actor=actor: return_to_pool(
            uow=uow, customer_id=customer.id or 0, reason="no_need", actor=actor,
            now=clock.now(),
        ))  # fmt: skip
        assert (error.kind, str(error)) == ("won", "a won customer cannot be returned to a pool")
    assert _stored(uow, customer).owner_id == rep.id


# 3. The key account ends with the ownership


def _key_account(uow: FakeUnitOfWork, clock: FixedClock, rep: Rep) -> Customer:
    customer = a_customer(uow, clock, "Key")
    assigned(uow, clock, customer, rep)
    in_transaction(uow, lambda: set_key_account(
        uow=uow, customer_id=customer.id or 0, key_account=True, actor=ADMIN, now=clock.now()
    ))  # fmt: skip
    assert _stored(uow, customer).key_account
    return customer


def test_a_return_clears_the_key_account_in_the_record_and_the_audit(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    customer = _key_account(uow, clock, rep)
    record = in_transaction(uow, lambda: return_to_pool(
        uow=uow, customer_id=customer.id or 0, reason="no_need", actor=_rep_actor(rep),
        now=clock.now(),
    ))  # fmt: skip
    assert not _stored(uow, customer).key_account
    assert record.explanation["key_account_cleared"] is True
    with uow:
        entry = [e for e in uow.audit.find(limit=1000) if e.action == "pool.return"][-1]
    assert (entry.before["key_account"], entry.after["key_account"]) == (True, False)


def test_a_transfer_to_another_rep_clears_the_key_account(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    first, second = a_rep(uow, clock, "Wang"), a_rep(uow, clock, "Zhao")
    customer = _key_account(uow, clock, first)
    record = in_transaction(uow, lambda: assign(
        uow=uow, customer_id=customer.id or 0, rep_id=second.id or 0, actor=ADMIN,
        now=clock.now(), reason="covering",
    ))  # fmt: skip
    assert (_stored(uow, customer).owner_id, _stored(uow, customer).key_account) == (
        second.id, False,
    )  # fmt: skip
    assert record.explanation["key_account_cleared"] is True


def test_a_move_of_a_flagged_waiting_customer_clears_it(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    [customer] = _waiting(uow, clock, 1)
    with uow:
        stored = uow.customers.get(customer.id or 0)
        assert stored is not None
        stored.key_account = True  # left over from before the flag ended with the owner
        uow.commit()
    in_transaction(uow, lambda: move_to_pool(
        uow=uow, actor=ADMIN, customer_ids=[customer.id or 0], to_pool="elsewhere",
        reason=None, now=clock.now(),
    ))  # fmt: skip
    assert not _stored(uow, customer).key_account


# 4. 撞单 at claim time


def test_a_claim_colliding_with_another_reps_protected_customer_is_refused(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _terms(uow, clock, protection_days=7)
    owner, claimer = a_rep(uow, clock, "Wang"), a_rep(uow, clock, "Zhao")
    theirs = a_customer(uow, clock, "Theirs", phone="138 0013 8000")
    assigned(uow, clock, theirs, owner)
    [waiting] = _waiting(uow, clock, 1, phone="+86 13800138000")
    until = clock.now() + timedelta(days=7)

    error = refused(uow, ClaimRefused, lambda: claim(
        uow=uow, customer_id=waiting.id or 0, actor=_rep_actor(claimer), now=clock.now()
    ))  # fmt: skip

    assert error.kind == "duplicate"
    assert str(error) == (
        f"Wang owns a customer with the same phone, protected until {until:%Y-%m-%d %H:%M} UTC"
    )
    # the owner may take it; once the protection ends, anyone may
    clock.advance(timedelta(days=7))
    in_transaction(uow, lambda: claim(
        uow=uow, customer_id=waiting.id or 0, actor=_rep_actor(claimer), now=clock.now()
    ))  # fmt: skip
    assert _stored(uow, waiting).owner_id == claimer.id


def test_the_owner_of_the_protected_twin_may_claim_it(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _terms(uow, clock, protection_days=7)
    owner = a_rep(uow, clock, "Wang")
    theirs = a_customer(uow, clock, "Theirs", email="Li.Lei@Example.com")
    assigned(uow, clock, theirs, owner)
    [waiting] = _waiting(uow, clock, 1, email="li.lei@example.com")
    in_transaction(uow, lambda: claim(
        uow=uow, customer_id=waiting.id or 0, actor=_rep_actor(owner), now=clock.now()
    ))  # fmt: skip
    assert _stored(uow, waiting).owner_id == owner.id


def test_a_push_of_a_colliding_customer_names_the_owner(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _terms(uow, clock, protection_days=7)
    owner, other = a_rep(uow, clock, "Wang"), a_rep(uow, clock, "Zhao")
    theirs = a_customer(uow, clock, "Theirs", phone="13800138000")
    assigned(uow, clock, theirs, owner)
    [waiting] = _waiting(uow, clock, 1, phone="13800138000")
    error = _all_refused(uow, ValidationFailed, lambda: push_many(
        uow=uow, actor=ADMIN, customer_ids=[waiting.id or 0], rep_id=other.id or 0,
        now=clock.now(),
    ))  # fmt: skip
    assert "Wang owns a customer with the same phone" in error.errors[0].message


# 6. Filters


@pytest.mark.parametrize(
    ("narrow", "expected"),
    [
        (PoolFilter(level="A"), ["A north web"]),
        (PoolFilter(region="north"), ["A north web", "B north fair"]),
        (PoolFilter(source="fair"), ["B north fair", "C south fair"]),
        (PoolFilter(waiting_days=3), ["A north web", "B north fair"]),
        (PoolFilter(level="B", waiting_days=3), ["B north fair"]),
        (PoolFilter(waiting_days=30), []),
    ],
)
def test_the_pool_narrows_by_level_region_source_and_days_waiting(
    uow: FakeUnitOfWork, clock: FixedClock, narrow: PoolFilter, expected: list[str]
) -> None:
    for level, region, source in (("A", "north", "web"), ("B", "north", "fair")):
        _waiting_named(uow, clock, f"{level} {region} {source}", level, region, source)
    clock.advance(timedelta(days=3))
    _waiting_named(uow, clock, "C south fair", "C", "south", "fair")
    with uow:
        page = pool_customers(uow=uow, key="public", actor=ADMIN, narrow=narrow, now=clock.now())
    assert sorted(c.name for c in page.customers) == expected
    assert page.total == len(expected)


def _waiting_named(
    uow: FakeUnitOfWork, clock: FixedClock, name: str, level: str, region: str, source: str
) -> None:
    customer = a_customer(uow, clock, name, level=level, region=region, source=source)
    with uow:
        stored = uow.customers.get(customer.id or 0)
        assert stored is not None
        stored.pool = "public"
        uow.commit()
