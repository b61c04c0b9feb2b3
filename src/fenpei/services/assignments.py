"""Ownership changes by hand: assign, reassign / transfer, bulk; and the history of each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.customers import Customer
from fenpei.domain.errors import (
    CapacityExceeded,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from fenpei.domain.org import Rep
from fenpei.domain.phrases import too_long
from fenpei.domain.users import Actor
from fenpei.engine.capacity import Usage, capacity_breach
from fenpei.services import _audit, scope
from fenpei.services.notifications.events import emit_ownership
from fenpei.services.ports import UnitOfWork
from fenpei.services.sla import clocks as sla_clocks
from fenpei.services.tasks import owners as task_owners


def _usage_dict(usage: Usage) -> dict[str, int]:
    return {
        "open": usage.open_count,
        "day": usage.received_day,
        "week": usage.received_week,
        "month": usage.received_month,
    }


def _capacity_dict(rep: Rep) -> dict[str, int | None]:
    cap = rep.capacity
    return {
        "open": cap.max_open,
        "day": cap.max_per_day,
        "week": cap.max_per_week,
        "month": cap.max_per_month,
    }


MAX_REASON = 1000
# One bulk request: customers given at once (each is locked, checked and recorded in one
# transaction, so the bound keeps that transaction short), and reps spread over.
MAX_BULK_CUSTOMERS = 5_000
MAX_SPREAD_REPS = 200


def _check_override(actor: Actor, override_capacity: bool) -> None:
    if override_capacity and not actor.is_admin:
        raise PermissionDenied("only an admin may assign above a rep's capacity")


def _clean_reason(reason: str | None, *, required: bool) -> str | None:
    text = (reason or "").strip()
    if required and not text:
        raise ValidationFailed.one(
            "reason", "a reason is required to take a customer from its current owner"
        )
    if len(text) > MAX_REASON:
        raise ValidationFailed.one("reason", too_long(MAX_REASON))
    return text or None


def give(
    uow: UnitOfWork,
    *,
    customer: Customer,
    rep: Rep,
    method: AssignMethod,
    actor: Actor,
    reason: str | None,
    now: datetime,
    explanation: dict[str, Any],
    override: bool = False,
    idempotency_key: str | None = None,
    rule_id: int | None = None,
    strategy: str | None = None,
    arm: str | None = None,
) -> Assignment:
    """Set the owner and write the immutable record, its event and the audit entry together."""
    assert customer.id is not None and rep.id is not None
    before = _audit.snapshot(customer)
    record = Assignment(
        customer_id=customer.id,
        from_rep_id=customer.owner_id,
        to_rep_id=rep.id,
        method=method,
        at=now,
        reason=reason,
        explanation=explanation,
        actor=actor.name,
        capacity_override=override,
        idempotency_key=idempotency_key,
        rule_id=rule_id,
        strategy=strategy,
        arm=arm,
    )
    if customer.owner_id != rep.id and customer.key_account:
        # 重点客户 is the owner's lock, not the customer's: it ends with the ownership.
        customer.key_account = False
        record.explanation = {**explanation, "key_account_cleared": True}
    customer.owner_id, customer.team_id = rep.id, rep.team_id
    customer.assigned_at = customer.updated_at = now
    customer.pool = customer.queue_reason = customer.queued_at = customer.reclaim_warned_at = None
    uow.assignments.add(record)
    emit_ownership(uow, record=record, customer=customer, now=now)
    # Every owner change passes here: the new owner's first-contact clock starts (SLA).
    sla_clocks.on_new_owner(
        uow, customer=customer, rep=rep, rule_id=rule_id, now=now,
        had_owner=record.from_rep_id is not None, assignment_id=record.id,
    )  # fmt: skip
    # ... and the previous owner's open tasks on it go to the new one.
    task_owners.follow_customer(uow, customer_id=customer.id, from_rep_id=record.from_rep_id,
                                to_rep_id=rep.id, actor=actor, now=now)  # fmt: skip
    _audit.record(
        uow, actor=actor, action=f"assign.{method.value}", obj=customer, now=now, before=before
    )
    return record


def release(
    uow: UnitOfWork,
    *,
    customer: Customer,
    pool: str,
    method: AssignMethod,
    actor: Actor,
    reason: str | None,
    now: datetime,
    explanation: dict[str, Any],
    audit_action: str,
    rule_id: int | None = None,
) -> Assignment:
    """Put the customer in ``pool`` with no owner: the record (to nobody), its event and
    the audit entry together; the counterpart of ``give``."""
    assert customer.id is not None
    before = _audit.snapshot(customer)
    record = Assignment(
        customer_id=customer.id,
        from_rep_id=customer.owner_id,
        to_rep_id=None,
        method=method,
        at=now,
        reason=reason,
        explanation=explanation,
        actor=actor.name,
        rule_id=rule_id,
    )
    if customer.key_account:  # the owner's lock ends with the ownership
        customer.key_account = False
        record.explanation = {**explanation, "key_account_cleared": True}
    customer.owner_id = None
    customer.pool, customer.queue_reason, customer.queued_at = pool, None, None
    customer.updated_at, customer.reclaim_warned_at = now, None
    uow.assignments.add(record)
    emit_ownership(uow, record=record, customer=customer, now=now)
    sla_clocks.cancel_open(uow, customer_id=customer.id, now=now)
    task_owners.follow_customer(uow, customer_id=customer.id, from_rep_id=record.from_rep_id,
                                to_rep_id=None, actor=actor, now=now)  # fmt: skip
    _audit.record(uow, actor=actor, action=audit_action, obj=customer, now=now, before=before)
    return record


def _eligible_rep(
    uow: UnitOfWork, rep_id: int, visible: scope.DataScope, *, field: str = "rep_id"
) -> Rep:
    rep = scope.visible_rep(visible, uow.reps.get(rep_id, lock=True), rep_id)
    if not rep.active:
        raise ValidationFailed.one(field, f"{rep.name} is inactive and cannot own customers")
    return rep


def replayed_assignment(
    *, uow: UnitOfWork, key: str, customer_id: int, rep_id: int
) -> Assignment | None:
    """The assignment an earlier request made under ``key``, if it was this same request;
    the key used for a different request is a Conflict."""
    done = uow.assignments.by_idempotency_key(key)
    if done is not None and (done.customer_id, done.to_rep_id) != (customer_id, rep_id):
        raise Conflict(f"idempotency key {key!r} was used for another request")
    return done


def assign(
    *,
    uow: UnitOfWork,
    customer_id: int,
    rep_id: int,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    override_capacity: bool = False,
    idempotency_key: str | None = None,
) -> Assignment:
    """Give a customer to a rep by hand (a transfer if someone owns it; then a reason is due).
    A used ``idempotency_key`` returns the first assignment and changes nothing."""
    record, _ = assign_once(
        uow=uow,
        customer_id=customer_id,
        rep_id=rep_id,
        actor=actor,
        now=now,
        reason=reason,
        override_capacity=override_capacity,
        idempotency_key=idempotency_key,
    )
    return record


def assign_once(
    *,
    uow: UnitOfWork,
    customer_id: int,
    rep_id: int,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    override_capacity: bool = False,
    idempotency_key: str | None = None,
) -> tuple[Assignment, bool]:
    """``assign``, also saying whether the result was replayed from an earlier request
    with the same ``idempotency_key`` (True: nothing changed)."""
    scope.require_writer(actor, "assign customers")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise ValidationFailed.one("idempotency_key", "must be 1 to 200 characters")
    if idempotency_key and (
        done := replayed_assignment(
            uow=uow, key=idempotency_key, customer_id=customer_id, rep_id=rep_id
        )
    ):
        return done, True
    _check_override(actor, override_capacity)
    # Lock order everywhere: customers (by id) before reps (by id) — no deadlocks.
    visible = scope.data_scope(uow=uow, actor=actor)
    customer = scope.visible_customer(
        visible, uow.customers.get(customer_id, lock=True), customer_id
    )
    rep = _eligible_rep(uow, rep_id, visible)
    if customer.owner_id == rep.id:
        raise Conflict(f"customer {customer_id} is already owned by {rep.name}")
    transfer = customer.owner_id is not None
    reason = _clean_reason(reason, required=transfer)
    # The rep row is locked, so this count cannot change under us until commit.
    usage = uow.reps.usage(rep_id, now=now)
    breach = capacity_breach(rep.capacity, usage)
    if breach and not override_capacity:
        raise CapacityExceeded(rep.name, breach)
    explanation = {
        "kind": "transfer" if transfer else "manual",
        "chosen": rep.name,
        "usage_before": _usage_dict(usage),
        "capacity": _capacity_dict(rep),
        "override": {"breach": breach} if breach else None,
    }
    record = give(
        uow,
        customer=customer,
        rep=rep,
        method=AssignMethod.transfer if transfer else AssignMethod.manual,
        actor=actor,
        reason=reason,
        now=now,
        explanation=explanation,
        override=bool(breach),
        idempotency_key=idempotency_key,
    )
    return record, False


def bulk_assign(
    *,
    uow: UnitOfWork,
    customer_ids: Sequence[int],
    rep_ids: Sequence[int],
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    override_capacity: bool = False,
) -> list[Assignment]:
    """Give many customers to one rep, or spread them evenly over several; all or nothing."""
    if not customer_ids:
        raise ValidationFailed.one("customer_ids", "choose at least one customer")
    if len(customer_ids) > MAX_BULK_CUSTOMERS:
        raise ValidationFailed.one(
            "customer_ids",
            f"chose {len(customer_ids)} customers; at most {MAX_BULK_CUSTOMERS} at once",
        )
    if not rep_ids:
        raise ValidationFailed.one("rep_ids", "choose at least one rep")
    if len(rep_ids) > MAX_SPREAD_REPS:
        raise ValidationFailed.one(
            "rep_ids", f"chose {len(rep_ids)} reps; at most {MAX_SPREAD_REPS} at once"
        )
    scope.require_writer(actor, "assign customers")
    _check_override(actor, override_capacity)
    visible = scope.data_scope(uow=uow, actor=actor)
    customers = uow.customers.lock_many(customer_ids)
    found = {c.id for c in customers if c.deleted_at is None and visible.covers_customer(c)}
    if missing := [cid for cid in dict.fromkeys(customer_ids) if cid not in found]:
        raise NotFound("customer", missing[0] if len(missing) == 1 else missing)
    reason = _clean_reason(reason, required=any(c.owner_id is not None for c in customers))
    reps = {rep.id: rep for rep in uow.reps.lock_many(rep_ids)}
    for position, rep_id in enumerate(rep_ids):
        if rep_id not in reps or not visible.covers_rep(reps[rep_id]):
            raise NotFound("rep", rep_id)
        if not reps[rep_id].active:
            raise ValidationFailed.one(f"rep_ids[{position}]", f"{reps[rep_id].name} is inactive")
    chosen = list(reps.values())
    loads = uow.routing.loads(now=now, rep_ids=[i for i in reps if i is not None])  # 2 queries
    usage = {rep: loads[rep_id].usage for rep_id, rep in reps.items() if rep_id is not None}
    taken = dict.fromkeys(chosen, 0)
    plan: list[tuple[Customer, Rep, str | None]] = []
    for customer in customers:
        # Even spread: the next customer goes to the rep with the fewest taken in this
        # batch among those with room left; a customer's current owner is not a candidate.
        candidates = [r for r in chosen if r.id != customer.owner_id]
        if not candidates:
            raise Conflict(f"customer {customer.id} is already owned by the only chosen rep")
        fitting = [
            r
            for r in candidates
            if capacity_breach(r.capacity, usage[r], adding=taken[r] + 1) is None
        ]
        rep = min(fitting or candidates, key=lambda r: (taken[r], r.name))
        breach = capacity_breach(rep.capacity, usage[rep], adding=taken[rep] + 1)
        if breach and not override_capacity:
            raise CapacityExceeded(
                rep.name, f"{breach} (this batch gives them {taken[rep] + 1} of {len(customers)})"
            )
        taken[rep] += 1
        plan.append((customer, rep, breach))
    records = []
    for customer, rep, breach in plan:
        transfer = customer.owner_id is not None
        explanation = {
            "kind": "bulk",
            "chosen": rep.name,
            "batch_size": len(plan),
            "spread_over": [r.name for r in chosen],
            "usage_before": _usage_dict(usage[rep]),
            "capacity": _capacity_dict(rep),
            "override": {"breach": breach} if breach else None,
            "transfer": transfer,
        }
        records.append(
            give(
                uow,
                customer=customer,
                rep=rep,
                method=AssignMethod.bulk,
                actor=actor,
                reason=reason,
                now=now,
                explanation=explanation,
                override=bool(breach),
            )
        )
    return records


def history(*, uow: UnitOfWork, customer_id: int, actor: Actor) -> list[Assignment]:
    """Every ownership change of a customer ``actor`` may see, oldest first."""
    visible = scope.data_scope(uow=uow, actor=actor)
    scope.visible_customer(visible, uow.customers.get(customer_id), customer_id)
    return uow.assignments.for_customer(customer_id)
