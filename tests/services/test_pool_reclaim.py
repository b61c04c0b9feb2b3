"""Reclaim (回收) with a controlled clock: protection, the warning, the due (not a minute
before), a follow-up resetting the clock, per-level days, exemptions, the cooldown after a
reclaim, and rerouting; the dry run lists the same customers with why."""

from __future__ import annotations

from datetime import timedelta
from random import Random

import pytest

from fenpei.domain.assignments import AssignMethod
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.errors import ClaimRefused, PermissionDenied, ValidationFailed
from fenpei.domain.events import EventType, ReminderKind
from fenpei.domain.org import Rep
from fenpei.domain.pools import ReclaimRule
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import rules
from fenpei.services.pool.claims import claim
from fenpei.services.pool.key_accounts import set_key_account
from fenpei.services.pool.reclaim import ReclaimReport, dry_run, plan, reclaim, warn_batches
from fenpei.services.pool.terms import set_terms
from fenpei.services.rulebook import RuleBook
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, refused

ADMIN = Actor("root", Role.admin)


def _rep_actor(rep: Rep) -> Actor:
    return Actor(rep.name, Role.rep, rep_id=rep.id, user_id=100 + (rep.id or 0))


def _terms(uow: FakeUnitOfWork, clock: FixedClock, key: str = "public", **fields: object) -> None:
    fields = {"reclaim_enabled": True, **fields}
    in_transaction(
        uow, lambda: set_terms(uow=uow, key=key, fields=fields, actor=ADMIN, now=clock.now())
    )


def _owned(
    uow: FakeUnitOfWork, clock: FixedClock, rep: Rep, name: str = "Li Lei", **fields: object
) -> Customer:
    customer = a_customer(uow, clock, name, **fields)
    assigned(uow, clock, customer, rep)
    return customer


def _run(uow: FakeUnitOfWork, clock: FixedClock, **options: object) -> ReclaimReport:
    return reclaim(uow_factory=lambda: uow, now=clock.now(), **options)  # type: ignore[arg-type]


def _customer(uow: FakeUnitOfWork, customer: Customer) -> Customer:
    assert customer.id is not None
    found = uow.customers.get(customer.id)
    assert found is not None
    return found


def _touch(uow: FakeUnitOfWork, customer: Customer, **fields: object) -> None:
    """What another engineer's follow-ups and stage changes write on the customer."""

    def work() -> None:
        for name, value in fields.items():
            setattr(_customer(uow, customer), name, value)

    in_transaction(uow, work)


def _reminders(uow: FakeUnitOfWork) -> list[dict[str, object]]:
    return [
        e.payload
        for e in uow.outbox._store.outbox_events  # type: ignore[attr-defined]
        if e.type is EventType.reminder
    ]


def test_reclaimed_at_the_due_not_a_minute_before(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock)
    customer = _owned(uow, clock, rep)
    _terms(uow, clock, no_follow_up_days=7)
    clock.advance(days=7, minutes=-1)
    assert _run(uow, clock).reclaimed == {"public": 0}
    assert _customer(uow, customer).owner_id == rep.id

    clock.advance(minutes=1)
    assert _run(uow, clock).reclaimed == {"public": 1}
    after = _customer(uow, customer)
    assert (after.owner_id, after.pool) == (None, "public")
    (record,) = [r for r in uow.assignments.for_customer(after.id or 0) if r.to_rep_id is None]
    assert record.method is AssignMethod.reclaim and record.from_rep_id == rep.id
    assert record.reason == "Reclaimed: no follow-up for 7 days"
    assert record.explanation["rule"] == "no_follow_up"
    pooled = [e for e in uow.outbox._store.outbox_events if e.type is EventType.pooled]  # type: ignore[attr-defined]
    assert [e.payload["from_rep_id"] for e in pooled] == [rep.id]
    assert _run(uow, clock).reclaimed == {"public": 0}, "reclaimed once"


def test_nothing_is_reclaimed_before_protection_ends(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    customer = _owned(uow, clock, rep)
    _terms(uow, clock, no_follow_up_days=3, protection_days=10)
    clock.advance(days=9, hours=23)
    assert plan(uow=uow, now=clock.now()) == []
    assert _run(uow, clock).reclaimed == {"public": 0}
    clock.advance(hours=1)
    (item,) = plan(uow=uow, now=clock.now())
    assert item.customer_id == customer.id and item.due == clock.now()
    assert _run(uow, clock).reclaimed == {"public": 1}


def test_a_follow_up_restarts_the_clock(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock)
    customer = _owned(uow, clock, rep)
    _terms(uow, clock, no_follow_up_days=5)
    clock.advance(days=4)
    _touch(uow, customer, last_follow_up_at=clock.now())
    clock.advance(days=4)
    assert _run(uow, clock).reclaimed == {"public": 0}
    clock.advance(days=1)
    (item,) = plan(uow=uow, now=clock.now())
    assert item.since == clock.now() - timedelta(days=5)
    assert _run(uow, clock).reclaimed == {"public": 1}


def test_warned_once_warn_days_before_the_due(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock)
    customer = _owned(uow, clock, rep)
    _terms(uow, clock, no_follow_up_days=10, warn_days=2)
    start = clock.now()
    clock.advance(days=8, minutes=-1)
    assert _run(uow, clock).warned == 0
    clock.advance(minutes=1)
    assert _run(uow, clock).warned == 1
    clock.advance(hours=1)
    assert _run(uow, clock).warned == 0, "warned once"
    (reminder,) = _reminders(uow)
    assert reminder["kind"] == ReminderKind.reclaim_warning.value
    assert reminder["rep_ids"] == [rep.id]
    assert reminder["due"] == (start + timedelta(days=10)).isoformat()
    assert _customer(uow, customer).reclaim_warned_at is not None
    # a follow-up spends the warning: the next approach to a due warns again
    _touch(uow, customer, last_follow_up_at=clock.now())
    clock.advance(days=8)
    assert _run(uow, clock).warned == 1


def test_per_level_days_override_the_base(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock)
    a = _owned(uow, clock, rep, "A one", level="A")
    c = _owned(uow, clock, rep, "C one", level="C")
    plain = _owned(uow, clock, rep, "No level")
    _terms(
        uow,
        clock,
        no_follow_up_days=15,
        level_days={"A": {"no_follow_up": 30}, "C": {"no_follow_up": 7}},
    )
    clock.advance(days=7)
    assert [i.customer_id for i in plan(uow=uow, now=clock.now())] == [c.id]
    assert _run(uow, clock).reclaimed == {"public": 1}
    clock.advance(days=8)
    (item,) = plan(uow=uow, now=clock.now())
    assert (item.customer_id, item.level, item.days) == (plain.id, None, 15)
    _run(uow, clock)
    clock.advance(days=15)
    (item,) = plan(uow=uow, now=clock.now())
    assert (item.customer_id, item.level, item.days) == (a.id, "A", 30)


def test_key_accounts_and_won_customers_are_exempt_when_the_terms_say(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    key = _owned(uow, clock, rep, "Key")
    won = _owned(uow, clock, rep, "Won")
    _touch(uow, key, key_account=True)
    _touch(uow, won, stage=Stage.won)
    _terms(uow, clock, no_follow_up_days=3)
    clock.advance(days=3)
    assert plan(uow=uow, now=clock.now()) == []
    _terms(uow, clock, exempt_key_accounts=False, exempt_won=False)
    assert {i.customer_id for i in plan(uow=uow, now=clock.now())} == {key.id, won.id}


def test_not_won_and_stuck_rules(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock)
    moving = _owned(uow, clock, rep, "Moving")
    _terms(uow, clock, not_won_days=20, stuck_days=5)
    clock.advance(days=4)
    _touch(
        uow,
        moving,
        stage=Stage.contacted,
        stage_changed_at=clock.now(),
        last_follow_up_at=clock.now(),
    )
    clock.advance(days=5)
    (item,) = plan(uow=uow, now=clock.now())
    assert item.rule is ReclaimRule.stuck and item.since == clock.now() - timedelta(days=5)


def test_the_previous_owner_waits_out_the_cooldown_after_a_reclaim(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    customer = _owned(uow, clock, rep)
    _terms(uow, clock, no_follow_up_days=3, cooldown_days=2)
    clock.advance(days=3)
    _run(uow, clock)
    assert customer.id is not None
    error = refused(
        uow,
        ClaimRefused,
        lambda: claim(
            uow=uow, customer_id=customer.id or 0, actor=_rep_actor(rep), now=clock.now()
        ),
    )
    assert error.kind == "cooldown"
    clock.advance(days=2)
    in_transaction(
        uow,
        lambda: claim(
            uow=uow, customer_id=customer.id or 0, actor=_rep_actor(rep), now=clock.now()
        ),
    )
    assert _customer(uow, customer).owner_id == rep.id


def test_reroute_routes_the_reclaimed_through_the_engine(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    old, new = a_rep(uow, clock, "Old"), a_rep(uow, clock, "New")
    customer = _owned(uow, clock, old)
    in_transaction(
        uow,
        lambda: rules.create_rule(
            uow=uow,
            fields={"name": "To New", "target": {"kind": "reps", "rep_ids": [new.id]}},
            actor=SYSTEM,
            now=clock.now(),
        ),
    )
    _terms(uow, clock, no_follow_up_days=3, reclaim_action="reroute")
    clock.advance(days=3)
    report = _run(uow, clock, rulebook=RuleBook(), rng=Random(1))
    assert report.reclaimed == {"public": 1} and report.rerouted["assigned"] == 1
    after = _customer(uow, customer)
    assert after.owner_id == new.id and after.assigned_at == clock.now()
    methods = [r.method for r in uow.assignments.for_customer(after.id or 0)]
    assert methods[-2:] == [AssignMethod.reclaim, AssignMethod.rule]


def test_reroute_never_gives_the_customer_back_to_the_rep_it_was_reclaimed_from(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    old, new = a_rep(uow, clock, "Old"), a_rep(uow, clock, "New")
    kept = _owned(uow, clock, new)
    in_transaction(uow, lambda: setattr(_customer(uow, kept), "key_account", True))
    customer = _owned(uow, clock, old)
    in_transaction(
        uow,
        lambda: rules.create_rule(
            uow=uow,
            fields={"name": "Both", "strategy": "least_loaded",
                    "target": {"kind": "reps", "rep_ids": [old.id, new.id]}},
            actor=SYSTEM,
            now=clock.now(),
        ),
    )  # fmt: skip
    _terms(uow, clock, no_follow_up_days=3, reclaim_action="reroute")
    clock.advance(days=3)
    report = _run(uow, clock, rulebook=RuleBook(), rng=Random(1))
    # New still holds the key account (exempt), Old holds nothing once it is reclaimed:
    # least-loaded alone would give the customer straight back to Old.
    assert report.reclaimed == {"public": 1} and report.rerouted["assigned"] == 1
    assert _customer(uow, customer).owner_id == new.id


def test_terms_are_checked_field_by_field(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    error = refused(
        uow,
        ValidationFailed,
        lambda: set_terms(
            uow=uow,
            key="public",
            actor=ADMIN,
            now=clock.now(),
            fields={
                "reclaim_action": "burn",
                "level_days": {"A": {"forever": 3, "stuck": 0}},
                "warn_days": -1,
                "reclaim_enabled": None,
            },
        ),
    )
    assert sorted(e.field for e in error.errors) == [
        "level_days.A.forever",
        "level_days.A.stuck",
        "reclaim_action",
        "reclaim_enabled",
        "warn_days",
    ]


def test_key_accounts_within_the_cap(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep, other = a_rep(uow, clock), a_rep(uow, clock, "Other")
    first, second = _owned(uow, clock, rep, "First"), _owned(uow, clock, rep, "Second")
    theirs = _owned(uow, clock, other, "Theirs")
    _terms(uow, clock, max_key_accounts=1)
    me = _rep_actor(rep)
    in_transaction(
        uow,
        lambda: set_key_account(
            uow=uow, customer_id=first.id or 0, key_account=True, actor=me, now=clock.now()
        ),
    )
    error = refused(
        uow,
        ClaimRefused,
        lambda: set_key_account(
            uow=uow, customer_id=second.id or 0, key_account=True, actor=ADMIN, now=clock.now()
        ),
    )
    assert error.kind == "key_account_cap"
    with pytest.raises(Exception) as caught, uow:
        set_key_account(
            uow=uow, customer_id=theirs.id or 0, key_account=True, actor=me, now=clock.now()
        )
    assert type(caught.value).__name__ == "NotFound"
    with pytest.raises(PermissionDenied), uow:
        set_key_account(
            uow=uow,
            customer_id=first.id or 0,
            key_account=False,
            actor=Actor("eve", Role.auditor),
            now=clock.now(),
        )
    assert _customer(uow, first).key_account and not _customer(uow, second).key_account


def test_a_claim_never_brings_a_key_account_past_the_cap(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    """重点客户 is the owner's lock: a customer still flagged in a pool (from before the
    flag ended with its owner) is claimed unflagged, so the cap holds."""
    rep = a_rep(uow, clock)
    held = _owned(uow, clock, rep, "Held")
    _touch(uow, held, key_account=True)
    waiting = a_customer(uow, clock, "Waiting")
    _touch(uow, waiting, key_account=True, pool="public")
    _terms(uow, clock, max_key_accounts=1)
    me = _rep_actor(rep)
    record = in_transaction(
        uow, lambda: claim(uow=uow, customer_id=waiting.id or 0, actor=me, now=clock.now())
    )
    claimed = _customer(uow, waiting)
    assert (claimed.owner_id, claimed.key_account) == (rep.id, False)
    assert record.explanation["key_account_cleared"] is True
    assert uow.reclaim.key_accounts_held(rep.id or 0) == 1


def test_the_dry_run_counts_every_due_customer_and_lists_the_earliest_due_first(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    made = [_owned(uow, clock, rep, f"C{n}") for n in range(5)]
    _terms(uow, clock, no_follow_up_days=5)
    # follow-ups in reverse id order: the last made is idle longest
    for hours, customer in enumerate(reversed(made)):
        _touch(uow, customer, last_follow_up_at=clock.now() + timedelta(hours=hours))
    clock.advance(days=6)

    found = dry_run(uow=uow, now=clock.now(), limit=2)

    assert (found.total, found.partial) == (5, True)
    assert [item.name for item in found.items] == ["C4", "C3"]
    assert [item.due for item in found.items] == sorted(item.due for item in found.items)
    everything = dry_run(uow=uow, now=clock.now())
    assert (everything.total, len(everything.items), everything.partial) == (5, 5, False)


def test_the_dry_run_of_a_manager_counts_their_reps_only(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    mine, theirs = a_rep(uow, clock, "Mine"), a_rep(uow, clock, "Theirs")
    _owned(uow, clock, mine, "A")
    _owned(uow, clock, theirs, "B")
    _owned(uow, clock, theirs, "C")
    _terms(uow, clock, no_follow_up_days=1)
    clock.advance(days=2)
    found = dry_run(uow=uow, now=clock.now(), owner_ids=frozenset({mine.id or 0}))
    assert (found.total, [i.name for i in found.items]) == (1, ["A"])


def test_warnings_go_a_batch_per_transaction(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock)
    for n in range(5):
        _owned(uow, clock, rep, f"C{n}")
    _terms(uow, clock, no_follow_up_days=10, warn_days=2)
    clock.advance(days=9)
    before = uow.commits
    assert warn_batches(uow_factory=lambda: uow, now=clock.now(), batch_size=2) == 5
    assert uow.commits - before == 3  # 2 + 2 + 1
    assert len(_reminders(uow)) == 5
    assert warn_batches(uow_factory=lambda: uow, now=clock.now(), batch_size=2) == 0


def test_a_reclaimed_key_account_is_one_no_more(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock)
    customer = _owned(uow, clock, rep)
    _touch(uow, customer, key_account=True)
    plain = _owned(uow, clock, rep, "Plain")
    _terms(uow, clock, no_follow_up_days=3, exempt_key_accounts=False)
    clock.advance(days=3)
    assert _run(uow, clock).reclaimed == {"public": 2}
    after = _customer(uow, customer)
    assert (after.owner_id, after.key_account) == (None, False)
    (record,) = [r for r in uow.assignments.for_customer(after.id or 0) if r.to_rep_id is None]
    assert record.explanation["key_account_cleared"] is True
    (plain_record,) = [
        r for r in uow.assignments.for_customer(plain.id or 0) if r.to_rep_id is None
    ]
    assert "key_account_cleared" not in plain_record.explanation
    with uow:
        (entry,) = [e for e in uow.audit.find(limit=100) if e.action == "pool.reclaim"]
    assert entry.after is not None and entry.after["key_accounts_cleared"] == [customer.id]
