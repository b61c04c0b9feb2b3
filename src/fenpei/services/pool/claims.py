"""Claim (领取) a customer from a pool, and return (退回) one to it.

A claim locks the customer, then the rep (the lock order of every ownership change), so
two reps claiming one customer, or one rep claiming several at once, are decided one after
the other: the daily claim cap and the holding cap are exact under concurrency. Each claim
and return is an assignment record with its event and audit entry (``assignments.give`` /
``release``), so notifications, counters and reclaim clocks see them like any other path.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.categories import CategoryValue
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.errors import (
    CapacityExceeded,
    ClaimRefused,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from fenpei.domain.org import Rep
from fenpei.domain.phrases import Phrase
from fenpei.domain.pools import RETURN_REASONS, Pool
from fenpei.domain.users import Actor, Role
from fenpei.engine.capacity import Usage, capacity_breach
from fenpei.services import scope
from fenpei.services.analytics import start_of_day
from fenpei.services.assignments import MAX_REASON, give, release
from fenpei.services.duplicates import protected_clash
from fenpei.services.pool.terms import pool_for_return, visible_pool
from fenpei.services.ports import CustomerQuery, UnitOfWork

RELEASES = (AssignMethod.return_, AssignMethod.reclaim)


def _own_rep(actor: Actor, verb: str) -> int:
    if actor.role is not Role.rep or actor.rep_id is None:
        raise PermissionDenied(f"only a rep {verb} for themself; a manager names the rep")
    return actor.rep_id


def _waiting(uow: UnitOfWork, actor: Actor, customer_id: int) -> tuple[Customer, Pool]:
    """The customer, locked, and the pool it waits in, if ``actor`` may see that pool."""
    customer = uow.customers.get(customer_id, lock=True)
    if customer is None or customer.deleted_at is not None:
        raise NotFound("customer", customer_id)
    if customer.owner_id == actor.rep_id and actor.rep_id is not None:
        raise ClaimRefused("taken", f"customer {customer_id} is already yours")
    if customer.pool is None:
        if customer.owner_id is not None:  # claimed since the pool was listed
            raise ClaimRefused("taken", f"customer {customer_id} was claimed by someone else")
        raise NotFound("customer", customer_id)  # in the queue: not a pool's to give
    return customer, visible_pool(uow, actor, customer.pool)


def _check_terms(
    uow: UnitOfWork,
    pool: Pool,
    customer: Customer,
    rep: Rep,
    now: datetime,
    usage: Usage,
    *,
    pushed: bool,
) -> int:
    """Refuse a claim the pool's terms forbid; returns the rep's claims today before it.
    A push by a manager is held to the holding cap only."""
    assert rep.id is not None and customer.id is not None
    if pool.cooldown_days and not pushed:
        released = max(
            (
                record.at
                for record in uow.assignments.for_customer(customer.id)
                if record.from_rep_id == rep.id and record.method in RELEASES
            ),
            default=None,
        )
        if released is not None and (until := released + timedelta(days=pool.cooldown_days)) > now:
            raise ClaimRefused(
                "cooldown",
                f"{rep.name} gave this customer up on {released:%Y-%m-%d}; "
                f"they may claim it again from {until:%Y-%m-%d %H:%M} UTC",
            )
    # A key account (重点客户) flag ends with its owner (``give`` clears it): a claim never
    # adds one to the rep's key accounts, so their key-account cap cannot be passed here.
    since = start_of_day(now, ZoneInfo(rep.time_zone))
    claimed = uow.assignments.count_since(to_rep_id=rep.id, method=AssignMethod.claim, since=since)
    if pool.daily_claim_cap is not None and claimed >= pool.daily_claim_cap and not pushed:
        raise ClaimRefused(
            "daily_cap", f"{rep.name} has claimed {claimed} today, the pool's daily cap"
        )
    if pool.max_owned is not None:
        held = usage.open_count
        if pool.count_won:
            won = CustomerQuery(owner_id=rep.id, stage=Stage.won, limit=0)
            held += uow.customers.search(won)[1]
        if held >= pool.max_owned:
            raise ClaimRefused(
                "holding_cap",
                f"{rep.name} holds {held} customers, the most this pool lets a rep hold",
            )
    return claimed


def _refuse_clash(
    uow: UnitOfWork, actor: Actor, customer: Customer, rep_id: int, now: datetime
) -> None:
    """撞单: refuse a customer whose phone or email another rep's customer has, in its
    protection period; says who owns it and until when (what the 查重 box tells)."""
    clash = protected_clash(uow=uow, actor=actor, customer=customer, rep_id=rep_id, now=now)
    if clash is not None and clash.protected_until is not None:
        text = "{owner} owns a customer with the same {field}, protected until {until} UTC"
        until = f"{clash.protected_until:%Y-%m-%d %H:%M}"
        said = Phrase(
            "pool.claim.duplicate", text, owner=clash.owner_name or "?",
            field=clash.matched[0] if clash.matched else "phone", until=until,
        )  # fmt: skip
        raise ClaimRefused("duplicate", said)


def claim(
    *, uow: UnitOfWork, customer_id: int, actor: Actor, now: datetime, rep_id: int | None = None
) -> Assignment:
    """A rep takes a customer waiting in a pool they may see, within the pool's terms
    (cooldown, daily claim cap, holding cap) and their own capacity.

    With ``rep_id`` an admin or manager pushes the customer to that rep (in their scope)
    instead: the rep's capacity and the pool's holding cap hold; the daily claim cap and
    the cooldown are the rep's own claims' limits and do not."""
    pushed = rep_id is not None and actor.role in scope.WRITERS
    if not pushed:
        if rep_id is not None and rep_id != actor.rep_id:
            raise PermissionDenied("a rep claims for themself only")
        rep_id = _own_rep(actor, "claims customers")
    assert rep_id is not None
    customer, pool = _waiting(uow, actor, customer_id)
    rep = uow.reps.get(rep_id, lock=True)
    if pushed:
        rep = scope.visible_rep(scope.data_scope(uow=uow, actor=actor), rep, rep_id)
    if rep is None or not rep.active:
        raise ValidationFailed.one("rep_id", "an inactive rep cannot take customers")
    usage = uow.reps.usage(rep_id, now=now)
    claimed = _check_terms(uow, pool, customer, rep, now, usage, pushed=pushed)
    _refuse_clash(uow, actor, customer, rep_id, now)
    if breach := capacity_breach(rep.capacity, usage):
        raise CapacityExceeded(rep.name, breach)
    explanation = {
        "kind": "push" if pushed else "claim",
        "pool": pool.key,
        "chosen": rep.name,
        "claimed_today": claimed if pushed else claimed + 1,
        "daily_claim_cap": pool.daily_claim_cap,
    }
    method = AssignMethod.manual if pushed else AssignMethod.claim
    return give(
        uow, customer=customer, rep=rep, method=method, actor=actor, reason=None,
        now=now, explanation=explanation,
    )  # fmt: skip


def return_reasons(uow: UnitOfWork) -> list[CategoryValue]:
    """The reasons a rep may give for a return (the ``return_reason`` category's values)."""
    category = uow.categories.get(RETURN_REASONS)
    if category is None or category.id is None:
        return []
    return [value for value in uow.categories.values(category.id) if value.usable]


def return_to_pool(
    *,
    uow: UnitOfWork,
    customer_id: int,
    reason: str,
    actor: Actor,
    now: datetime,
    note: str | None = None,
) -> Assignment:
    """The owner gives a customer back to the pool with a reason from the admin's list
    (and an optional note); they may not claim it again for the pool's cooldown. An admin
    or manager may put any owned customer in their scope back the same way (放入公海)."""
    if actor.role in scope.WRITERS:
        visible = scope.data_scope(uow=uow, actor=actor)
        customer = scope.visible_customer(
            visible, uow.customers.get(customer_id, lock=True), customer_id
        )
        if customer.owner_id is None:
            raise ClaimRefused("taken", f"customer {customer_id} has no owner to return it")
    else:
        rep_id = _own_rep(actor, "returns customers")
        found = uow.customers.get(customer_id, lock=True)
        if found is None or found.deleted_at is not None or found.owner_id != rep_id:
            raise NotFound("customer", customer_id)
        customer = found
    if customer.stage is Stage.won:
        raise ClaimRefused("won", "a won customer cannot be returned to a pool")
    allowed = {value.code: value for value in return_reasons(uow)}
    if reason not in allowed:
        shown = ", ".join(allowed) or "none defined"
        raise ValidationFailed.one("reason", f"{reason!r} is not a return reason ({shown})")
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_REASON - 110:
        raise ValidationFailed.one("note", f"is longer than {MAX_REASON - 110} characters")
    assert customer.owner_id is not None
    rep = uow.reps.get(customer.owner_id, lock=True)
    assert rep is not None
    pool = pool_for_return(uow, rep)
    text = allowed[reason].label + (f": {note}" if note else "")
    return release(
        uow, customer=customer, pool=pool, method=AssignMethod.return_, actor=actor,
        reason=text, now=now, audit_action="pool.return",
        explanation={"kind": "return", "pool": pool, "reason_code": reason, "note": note},
    )  # fmt: skip
