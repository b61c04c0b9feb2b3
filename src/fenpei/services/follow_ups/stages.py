"""Move a customer along its stages (new → contacted → qualified → won / lost), with why.

The stage is what the reps' open counts read: the database keeps ``rep_loads`` by trigger
on every change of a customer's stage, so a won, lost or reopened customer frees or takes
a slot in the same transaction without anything here.
"""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.customers import Customer, Stage
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.follow_ups import StageChange, move_stage, stage_reason
from fenpei.domain.phrases import Phrase
from fenpei.domain.users import Actor
from fenpei.services import _audit
from fenpei.services.follow_ups._access import workable_customer
from fenpei.services.ports import UnitOfWork
from fenpei.services.scoring.rescore import rescore
from fenpei.services.sla.clocks import on_closed


def parse_stage(value: str) -> Stage:
    """The stage ``value`` names; a ValidationFailed on ``stage`` listing them otherwise."""
    try:
        return Stage(value.strip().lower())
    except ValueError:
        allowed = ", ".join(s.value for s in Stage)
        raise ValidationFailed.one(
            "stage", Phrase("stage.unknown", "is not a stage (one of {allowed})", allowed=allowed)
        ) from None


def record_change(
    uow: UnitOfWork, customer: Customer, change: StageChange | None, now: datetime
) -> None:
    """What follows a stage move, on every path that makes one: the record, and a won or
    lost customer's SLA clock stopped."""
    if change is not None:
        uow.stage_changes.add(change)
        on_closed(uow, customer=customer, now=now)


def change_stage(
    *,
    uow: UnitOfWork,
    customer_id: int,
    to: str,
    reason: str | None,
    actor: Actor,
    now: datetime,
) -> StageChange:
    """Move a customer (its owner's, or one in a manager's or admin's scope) to stage
    ``to``; a lost customer needs a reason (free text). Won and lost close it, reopening
    clears ``closed_at``; the move is recorded and audited."""
    customer = workable_customer(uow, actor, customer_id, "change stages")
    stage = parse_stage(to)
    checked = stage_reason(stage, reason)
    if Stage(customer.stage) is stage:
        raise ValidationFailed.one(
            "stage", Phrase("stage.same", "the customer is in this stage already")
        )
    before = _audit.snapshot(customer)
    change = move_stage(customer, stage, reason=checked, actor=actor.name, at=now)
    assert change is not None
    record_change(uow, customer, change, now)
    rescore(uow=uow, customers=[customer], now=now)
    _audit.record(uow, actor=actor, action="stage", obj=customer, now=now, before=before)
    return change
