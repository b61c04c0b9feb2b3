"""The dead-letter view (投递管理): an admin looks at the deliveries by status, with the
figures of the outbox, and sends a dead or failing one again by hand (audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fenpei.domain.errors import Conflict
from fenpei.domain.events import Delivery, DeliveryStatus
from fenpei.domain.users import Actor
from fenpei.services.notifications.dispatch import retry_dead
from fenpei.services.ports import UnitOfWork
from fenpei.services.scope import require_admin

# "problems" and "failing" are read from the newest this many dead and pending rows (the
# repository filters by status only), so a page of them stays one bounded read.
SCAN_LIMIT = 1000


class DeliveryView(StrEnum):
    """Which deliveries a list shows: one status, the failing ones, or both kinds of trouble."""

    problems = "problems"  # dead, or pending again after a failed attempt
    failing = "failing"  # pending again after a failed attempt
    pending = "pending"
    sending = "sending"
    delivered = "delivered"
    dead = "dead"
    all = "all"


@dataclass(frozen=True)
class DeliveryList:
    """One page of deliveries, newest first, with the outbox's figures."""

    items: list[Delivery]
    counts: dict[DeliveryStatus, int]
    pending_events: int
    has_more: bool


def is_failing(delivery: Delivery) -> bool:
    """Waiting for another attempt after a failed one."""
    return delivery.status is DeliveryStatus.pending and delivery.attempts > 0


def list_deliveries(
    *, uow: UnitOfWork, actor: Actor, view: DeliveryView, limit: int, offset: int
) -> DeliveryList:
    """A page of the deliveries ``view`` selects, for an admin."""
    require_admin(actor, "see the message deliveries")
    if view in (DeliveryView.problems, DeliveryView.failing):
        pending = uow.outbox.deliveries(status=DeliveryStatus.pending, limit=SCAN_LIMIT)
        found = [d for d in pending if is_failing(d)]
        if view is DeliveryView.problems:
            found += uow.outbox.deliveries(status=DeliveryStatus.dead, limit=SCAN_LIMIT)
        found.sort(key=lambda d: d.id or 0, reverse=True)
        page = found[offset : offset + limit + 1]
    else:
        status = None if view is DeliveryView.all else DeliveryStatus(view.value)
        page = uow.outbox.deliveries(status=status, limit=limit + 1, offset=offset)
    return DeliveryList(
        items=page[:limit],
        counts=uow.outbox.counts(),
        pending_events=uow.outbox.pending_events(),
        has_more=len(page) > limit,
    )


def retry_delivery(*, uow: UnitOfWork, actor: Actor, delivery_id: int, now: datetime) -> Delivery:
    """Send a dead or failing delivery again now, with a fresh count of attempts (an admin;
    ``retry_dead`` records it in the audit log). A delivered one is not sent twice: Conflict."""
    require_admin(actor, "retry message deliveries")
    current = uow.outbox.delivery(delivery_id, lock=True)
    if current is not None and current.status is DeliveryStatus.delivered:
        raise Conflict(f"delivery {delivery_id} was delivered already; it is not sent again")
    return retry_dead(uow=uow, delivery_id=delivery_id, actor=actor, now=now)
