"""Log a follow-up (跟进记录) and read a customer's follow-ups."""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.categories import CategoryValue
from fenpei.domain.customers import Stage
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.follow_ups import (
    FIRST_FOLLOW_UP,
    FOLLOW_UP_TYPES,
    LOST_REASONS,
    FollowUp,
    move_stage,
    new_follow_up,
    stage_reason,
)
from fenpei.domain.users import Actor
from fenpei.services import _audit
from fenpei.services.customers import read_customer
from fenpei.services.follow_ups._access import workable_customer
from fenpei.services.follow_ups.stages import parse_stage, record_change
from fenpei.services.ports import UnitOfWork
from fenpei.services.scoring.rescore import rescore

MAX_LISTED = 500


def _usable(uow: UnitOfWork, key: str) -> list[CategoryValue]:
    category = uow.categories.get(key)
    if category is None or category.id is None:
        return []
    return [value for value in uow.categories.values(category.id) if value.usable]


def follow_up_types(uow: UnitOfWork) -> list[CategoryValue]:
    """The kinds of follow-up one may log now (the ``follow_up_type`` category's values)."""
    return _usable(uow, FOLLOW_UP_TYPES)


def lost_reasons(uow: UnitOfWork) -> list[CategoryValue]:
    """Common reasons for a lost customer (``lost_reason``), offered beside free text."""
    return _usable(uow, LOST_REASONS)


def record_follow_up(
    *,
    uow: UnitOfWork,
    customer_id: int,
    actor: Actor,
    kind: str,
    at: datetime,
    content: str,
    now: datetime,
    outcome: str | None = None,
    next_at: datetime | None = None,
    stage: str | None = None,
    reason: str | None = None,
) -> FollowUp:
    """Log a contact with a customer (its owner, or a manager or admin over it).

    It resets the reclaim clock (``last_follow_up_at``, the reclaim warning cleared), plans
    the next follow-up, and moves a new customer to contacted; ``stage`` (with ``reason``)
    moves it on in the same transaction. Every bad field is named; nothing is written."""
    customer = workable_customer(uow, actor, customer_id, "log follow-ups")
    assert customer.id is not None
    errors: list[FieldError] = []
    follow_up: FollowUp | None = None
    to: Stage | None = None
    kinds = {value.code for value in follow_up_types(uow)}
    try:
        follow_up = new_follow_up(
            customer_id=customer.id, author=actor.name, rep_id=actor.rep_id, kind=kind, at=at,
            content=content, outcome=outcome, next_at=next_at, now=now, kinds=kinds,
        )  # fmt: skip
    except ValidationFailed as exc:
        errors += exc.errors
    try:
        to = parse_stage(stage) if stage else None
        reason = stage_reason(to, reason) if to is not None else None
    except ValidationFailed as exc:
        errors += exc.errors
    if errors or follow_up is None:
        raise ValidationFailed(errors)
    before = _audit.snapshot(customer)
    uow.follow_ups.add(follow_up)
    latest = customer.last_follow_up_at
    if latest is None or follow_up.at >= latest:
        customer.last_follow_up_at = follow_up.at
        if customer.is_open:
            customer.next_follow_up_at = follow_up.next_at
    customer.reclaim_warned_at = None
    customer.updated_at = now
    if customer.stage is Stage.new:
        # Contacted when the contact happened, so the timeline reads in order.
        first = move_stage(customer, Stage.contacted, reason=FIRST_FOLLOW_UP, actor=actor.name,
                           at=follow_up.at)  # fmt: skip
        record_change(uow, customer, first, now)
    if to is not None:
        moved = move_stage(customer, to, reason=reason, actor=actor.name, at=now)
        record_change(uow, customer, moved, now)
    rescore(uow=uow, customers=[customer], now=now)
    _audit.record(uow, actor=actor, action="create", obj=follow_up, now=now)
    _audit.record(uow, actor=actor, action="follow_up", obj=customer, now=now, before=before)
    return follow_up


def list_follow_ups(
    *, uow: UnitOfWork, customer_id: int, actor: Actor, limit: int = 100
) -> list[FollowUp]:
    """A customer's follow-ups, newest first, if ``actor`` may see the customer."""
    if not 1 <= limit <= MAX_LISTED:
        raise ValidationFailed.one("limit", f"must be between 1 and {MAX_LISTED}")
    read_customer(uow=uow, customer_id=customer_id, actor=actor)
    return uow.follow_ups.for_customer(customer_id, limit=limit)
