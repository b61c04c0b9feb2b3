"""The pool (公海): reps claim within the pool's terms and return with a reason; every move
is an assignment record with its event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from random import Random
from zoneinfo import ZoneInfo

import pytest

from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.customers import Customer
from fenpei.domain.errors import (
    CapacityExceeded,
    ClaimRefused,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from fenpei.domain.org import Rep, Team
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import org, rules
from fenpei.services.analytics import start_of_day
from fenpei.services.intake import create_and_route
from fenpei.services.pool.claims import claim, return_to_pool
from fenpei.services.pool.listing import mask_email, mask_phone, pool_customers
from fenpei.services.pool.terms import list_pools, set_terms
from fenpei.services.rulebook import RuleBook
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_rep, refused

ADMIN = Actor("root", Role.admin)


def _rep_actor(rep: Rep) -> Actor:
    return Actor(rep.name, Role.rep, rep_id=rep.id, user_id=100 + (rep.id or 0))


def _team(uow: FakeUnitOfWork, clock: FixedClock, name: str) -> Team:
    return in_transaction(
        uow, lambda: org.create_team(uow=uow, name=name, actor=SYSTEM, now=clock.now())
    )


def _pooled(
    uow: FakeUnitOfWork, clock: FixedClock, count: int, pool: str = "public", **fields: object
) -> list[Customer]:
    """``count`` customers routed by a rule into ``pool``."""
    in_transaction(
        uow,
        lambda: rules.create_rule(
            uow=uow,
            fields={"name": f"to {pool}", "target": {"kind": "pool", "pool": pool}},
            actor=SYSTEM,
            now=clock.now(),
        ),
    )
    made = []
    for number in range(count):
        customer, _ = in_transaction(
            uow,
            lambda number=number: create_and_route(
                uow=uow,
                rulebook=RuleBook(),
                fields={"name": f"Lead {number}", **fields},
                actor=SYSTEM,
                now=clock.now(),
                rng=Random(1),
            ),
        )
        assert customer.pool == pool and customer.owner_id is None
        made.append(customer)
    return made


def _terms(uow: FakeUnitOfWork, clock: FixedClock, key: str = "public", **fields: object) -> None:
    in_transaction(
        uow, lambda: set_terms(uow=uow, key=key, fields=fields, actor=ADMIN, now=clock.now())
    )


def _claiming(
    uow: FakeUnitOfWork, clock: FixedClock, customer: Customer, rep: Rep
) -> Callable[[], Assignment]:
    return lambda: claim(
        uow=uow, customer_id=customer.id or 0, actor=_rep_actor(rep), now=clock.now()
    )


def _claim(uow: FakeUnitOfWork, clock: FixedClock, customer: Customer, rep: Rep) -> Assignment:
    return in_transaction(uow, _claiming(uow, clock, customer, rep))


def _returning(
    uow: FakeUnitOfWork, clock: FixedClock, customer: Customer, rep: Rep, reason: str = "no_need"
) -> Callable[[], Assignment]:
    return lambda: return_to_pool(
        uow=uow,
        customer_id=customer.id or 0,
        reason=reason,
        note="预算明年才有",
        actor=_rep_actor(rep),
        now=clock.now(),
    )


def _return(
    uow: FakeUnitOfWork, clock: FixedClock, customer: Customer, rep: Rep, reason: str = "no_need"
) -> Assignment:
    return in_transaction(uow, _returning(uow, clock, customer, rep, reason))


def _owner(uow: FakeUnitOfWork, customer: Customer) -> tuple[int | None, str | None]:
    with uow:
        found = uow.customers.get(customer.id or 0)
        assert found is not None
        return found.owner_id, found.pool


def test_a_claim_makes_the_rep_the_owner_with_a_record_and_an_event(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    [customer] = _pooled(uow, clock, 1)
    events_before = len(uow.dump()["outbox_events"])

    record = _claim(uow, clock, customer, rep)

    assert _owner(uow, customer) == (rep.id, None)
    [*_, last] = uow.assignments.for_customer(customer.id or 0)
    assert last.id == record.id
    assert (last.method, last.from_rep_id, last.to_rep_id, last.actor) == (
        AssignMethod.claim, None, rep.id, "Wang",
    )  # fmt: skip
    assert last.explanation["pool"] == "public" and last.explanation["claimed_today"] == 1
    assert len(uow.dump()["outbox_events"]) == events_before + 1


def test_a_customer_claimed_by_one_rep_is_refused_to_the_next(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    first, second = a_rep(uow, clock, "Wang"), a_rep(uow, clock, "Zhao")
    [customer] = _pooled(uow, clock, 1)
    _claim(uow, clock, customer, first)

    error = refused(uow, ClaimRefused, lambda: claim(
        uow=uow, customer_id=customer.id or 0, actor=_rep_actor(second), now=clock.now()
    ))  # fmt: skip

    assert error.kind == "taken"
    assert _owner(uow, customer) == (first.id, None)


def test_the_daily_claim_cap_counts_the_reps_own_day(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    # 09:30 UTC is 17:30 in Shanghai: the rep's day turns at 16:00 UTC.
    rep = a_rep(uow, clock, "Wang")
    waiting = _pooled(uow, clock, 5)
    _terms(uow, clock, daily_claim_cap=2)
    _claim(uow, clock, waiting[0], rep)
    _claim(uow, clock, waiting[1], rep)

    error = refused(uow, ClaimRefused, _claiming(uow, clock, waiting[2], rep))
    assert error.kind == "daily_cap" and "2" in str(error)
    clock.advance(hours=6)  # 15:30 UTC: still the same day in Shanghai
    assert refused(uow, ClaimRefused, _claiming(uow, clock, waiting[2], rep)).kind == "daily_cap"
    clock.advance(minutes=31)  # 16:01 UTC: a new day in Shanghai
    _claim(uow, clock, waiting[2], rep)
    assert _owner(uow, waiting[2])[0] == rep.id


def test_the_holding_cap_counts_open_customers_and_won_ones_when_set(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    won, *rest = _pooled(uow, clock, 4)
    _terms(uow, clock, max_owned=2, count_won=False)
    _claim(uow, clock, won, rep)
    with uow:
        found = uow.customers.get(won.id or 0)
        assert found is not None
        found.stage = found.stage.__class__("won")
        uow.commit()
    _claim(uow, clock, rest[0], rep)
    _claim(uow, clock, rest[1], rep)  # one won and two open: the cap counts the open two
    assert refused(uow, ClaimRefused, _claiming(uow, clock, rest[2], rep)).kind == "holding_cap"
    _terms(uow, clock, max_owned=4, count_won=True)
    _claim(uow, clock, rest[2], rep)  # 3 held with the won one, under 4
    assert _owner(uow, rest[2])[0] == rep.id


def test_the_reps_own_capacity_still_holds(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock, "Wang", max_open=1)
    first, second = _pooled(uow, clock, 2)
    _claim(uow, clock, first, rep)
    refused(uow, CapacityExceeded, _claiming(uow, clock, second, rep))


def test_a_return_needs_a_listed_reason_and_starts_the_cooldown(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    [customer] = _pooled(uow, clock, 1)
    _terms(uow, clock, cooldown_days=7)
    _claim(uow, clock, customer, rep)

    bad = refused(uow, ValidationFailed, _returning(uow, clock, customer, rep, "bored"))
    assert bad.errors[0].field == "reason" and "no_need" in bad.errors[0].message
    record = _return(uow, clock, customer, rep)

    assert _owner(uow, customer) == (None, "public")
    assert (record.method, record.from_rep_id, record.to_rep_id) == (
        AssignMethod.return_, rep.id, None,
    )  # fmt: skip
    assert record.reason == "No need / 暂无需求: 预算明年才有"
    clock.advance(days=6, hours=23)
    assert refused(uow, ClaimRefused, _claiming(uow, clock, customer, rep)).kind == "cooldown"
    clock.advance(hours=1)
    _claim(uow, clock, customer, rep)
    assert _owner(uow, customer)[0] == rep.id


def test_someone_else_may_claim_during_the_cooldown(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep, other = a_rep(uow, clock, "Wang"), a_rep(uow, clock, "Zhao")
    [customer] = _pooled(uow, clock, 1)
    _terms(uow, clock, cooldown_days=30)
    _claim(uow, clock, customer, rep)
    _return(uow, clock, customer, rep)
    _claim(uow, clock, customer, other)
    assert _owner(uow, customer)[0] == other.id


def test_only_the_owner_returns_and_only_a_rep_claims(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, other = a_rep(uow, clock, "Wang"), a_rep(uow, clock, "Zhao")
    [customer] = _pooled(uow, clock, 1)
    _claim(uow, clock, customer, rep)
    refused(uow, NotFound, _returning(uow, clock, customer, other))
    refused(uow, PermissionDenied, lambda: claim(
        uow=uow, customer_id=customer.id or 0, actor=ADMIN, now=clock.now()
    ))  # fmt: skip


def test_a_team_pool_is_seen_and_claimed_by_its_team_only(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    east, west = _team(uow, clock, "East"), _team(uow, clock, "West")
    insider = a_rep(uow, clock, "Wang", team_id=east.id)
    outsider = a_rep(uow, clock, "Zhao", team_id=west.id)
    key = f"team:{east.id}"
    [customer] = _pooled(uow, clock, 1, pool=key)

    refused(uow, NotFound, _claiming(uow, clock, customer, outsider))
    with uow:
        assert key not in [p.key for p in list_pools(uow=uow, actor=_rep_actor(outsider))]
        assert key in [p.key for p in list_pools(uow=uow, actor=_rep_actor(insider))]
    refused(uow, NotFound, lambda: pool_customers(uow=uow, key=key, actor=_rep_actor(outsider)))
    _claim(uow, clock, customer, insider)
    assert _owner(uow, customer)[0] == insider.id


def test_a_masked_pool_hides_contacts_from_reps_until_claimed(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    [customer] = _pooled(uow, clock, 1, phone="13800138000", email="li.lei@example.com")
    _terms(uow, clock, mask_contacts=True)

    with uow:
        seen = pool_customers(uow=uow, key="public", actor=_rep_actor(rep))
        by_admin = pool_customers(uow=uow, key="public", actor=ADMIN)
    assert (seen.masked, seen.total) == (True, 1)
    assert (seen.customers[0].phone, seen.customers[0].email) == (
        "138****8000", "l***@example.com",
    )  # fmt: skip
    assert by_admin.customers[0].phone == "13800138000"
    with uow:
        stored = uow.customers.get(customer.id or 0)
        assert stored is not None and stored.phone == "13800138000"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"daily_claim_cap": -1}, "daily_claim_cap"),
        ({"max_owned": 1.5}, "max_owned"),
        ({"cooldown_days": True}, "cooldown_days"),
        ({"count_won": "yes"}, "count_won"),
        ({"team_id": 999}, "team_id"),
        ({"colour": "red"}, "colour"),
        ({"name": " "}, "name"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(
    uow: FakeUnitOfWork, clock: FixedClock, fields: dict[str, object], field: str
) -> None:
    error = refused(uow, ValidationFailed, lambda: set_terms(
        uow=uow, key="public", fields=fields, actor=ADMIN, now=clock.now()
    ))  # fmt: skip
    assert [e.field for e in error.errors] == [field]
    assert uow.pools.all() == []


def test_masks_and_the_local_day() -> None:
    assert [mask_phone(p) for p in ("13800138000", "+86 21 5555 0000", "12345", "123", "1")] == [
        "138****8000", "+86*********0000", "***45", "**23", "**",
    ]  # fmt: skip
    assert (mask_email("li.lei@example.com"), mask_email("nobody")) == ("l***@example.com", "***")
    start = start_of_day(datetime(2026, 11, 2, 17, 0, tzinfo=UTC), ZoneInfo("Asia/Shanghai"))
    assert start.isoformat() == "2026-11-03T00:00:00+08:00"


def test_a_manager_pushes_past_the_daily_cap_but_not_the_holding_cap(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    first, second, third = _pooled(uow, clock, 3)
    _terms(uow, clock, daily_claim_cap=1, max_owned=2)
    _claim(uow, clock, first, rep)

    def push(customer: Customer) -> Callable[[], Assignment]:
        return lambda: claim(
            uow=uow, customer_id=customer.id or 0, actor=ADMIN, now=clock.now(), rep_id=rep.id
        )

    record = in_transaction(uow, push(second))  # the rep's daily cap is theirs, not a push's
    assert (record.method, record.actor, record.explanation["kind"]) == (
        AssignMethod.manual, "root", "push",
    )  # fmt: skip
    assert refused(uow, ClaimRefused, push(third)).kind == "holding_cap"
    other = a_rep(uow, clock, "Zhao")
    refused(uow, PermissionDenied, lambda: claim(
        uow=uow, customer_id=third.id or 0, actor=_rep_actor(other), now=clock.now(),
        rep_id=rep.id,
    ))  # fmt: skip


def test_a_manager_puts_an_owned_customer_back_and_the_owner_cools_down(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    [customer] = _pooled(uow, clock, 1)
    _terms(uow, clock, cooldown_days=2)
    _claim(uow, clock, customer, rep)

    record = in_transaction(uow, lambda: return_to_pool(
        uow=uow, customer_id=customer.id or 0, reason="duplicate", actor=ADMIN, now=clock.now()
    ))  # fmt: skip

    assert (record.from_rep_id, record.actor) == (rep.id, "root")
    assert _owner(uow, customer) == (None, "public")
    assert refused(uow, ClaimRefused, _claiming(uow, clock, customer, rep)).kind == "cooldown"


def test_null_terms_are_refused_but_a_null_cap_lifts_it(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _terms(uow, clock, daily_claim_cap=3)
    error = refused(uow, ValidationFailed, lambda: set_terms(
        uow=uow, key="public", fields={"name": None, "cooldown_days": None}, actor=ADMIN,
        now=clock.now(),
    ))  # fmt: skip
    assert [e.field for e in error.errors] == ["name", "cooldown_days"]
    _terms(uow, clock, daily_claim_cap=None)
    assert uow.pools.all()[0].daily_claim_cap is None
