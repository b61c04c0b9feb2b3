"""Reviewing pairs: the list (both customers in the reader's scope), dismiss and reopen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fenpei.domain.audit import AuditEntry
from fenpei.domain.customers import Customer
from fenpei.domain.dedupe import DuplicatePair, PairStatus
from fenpei.domain.errors import Conflict, NotFound, ValidationFailed
from fenpei.domain.users import Actor
from fenpei.services import scope
from fenpei.services.ports import UnitOfWork

MAX_LIMIT = 200
MAX_OFFSET = 2**31 - 1


@dataclass(frozen=True)
class PairView:
    pair: DuplicatePair
    low: Customer
    high: Customer


def list_pairs(
    *, uow: UnitOfWork, actor: Actor, status: PairStatus | None, limit: int, offset: int
) -> tuple[list[PairView], int]:
    """A page of pairs, strongest first, with both customers; pairs with a customer outside
    the actor's scope are left out of the page (the total counts all)."""
    scope.require_writer(actor, "review duplicates")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.one("limit", f"must be between 1 and {MAX_LIMIT}")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationFailed.one("offset", f"must be between 0 and {MAX_OFFSET}")
    visible = scope.data_scope(uow=uow, actor=actor)
    views: list[PairView] = []
    for pair in uow.dedupe.pairs(status=status, limit=limit, offset=offset):
        low, high = uow.customers.get(pair.low_id), uow.customers.get(pair.high_id)
        if low is None or high is None:
            continue
        if visible.covers_customer(low) and visible.covers_customer(high):
            views.append(PairView(pair, low, high))
    return views, uow.dedupe.count_pairs(status=status)


def decide_pair(
    *, uow: UnitOfWork, actor: Actor, pair_id: int, status: PairStatus, now: datetime
) -> DuplicatePair:
    """Dismiss a pair (not duplicates: a later scan leaves it dismissed) or reopen it."""
    scope.require_writer(actor, "review duplicates")
    if status is PairStatus.merged:
        raise ValidationFailed.one("status", "merge the customers to mark a pair merged")
    pair = uow.dedupe.get_pair(pair_id, lock=True)
    if pair is None:
        raise NotFound("pair", pair_id)
    visible = scope.data_scope(uow=uow, actor=actor)
    for cid in (pair.low_id, pair.high_id):
        scope.visible_customer(visible, uow.customers.get(cid), cid)
    if pair.status is PairStatus.merged:
        raise Conflict(f"pair {pair_id} was merged; undo the merge instead")
    before = pair.status
    pair.status, pair.decided_at, pair.decided_by = status, now, actor.name
    uow.dedupe.update_pair(pair)
    uow.audit.add(
        AuditEntry(
            actor=actor.name, action=f"dedupe.{status.value}", object_type="duplicate_pair",
            object_id=str(pair_id), at=now, before={"status": before.value},
            after={"status": status.value},
        )
    )  # fmt: skip
    return pair
