"""What is due on an owned customer (到期事项), for "my customers" sorted by what is due.

Three things fall due on a customer its owner holds:

- its next follow-up (``Customer.next_follow_up_at``);
- its running SLA clock (首次联系, or 再次联系 for a next-contact clock): the customer's
  newest clock while it is open or breached, not met, not paused, and its owner's;
- its reclaim (回收): when its pool's terms send it back (``domain.reclaim.due_of``) under
  the pool that governs its owner.

The list sorts by the earliest of them, overdue first (the database orders by the same
instant: ``adapters/db/repositories/_due_sort.py``). Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from fenpei.domain.reclaim import GoverningTerms, Owned, due_of
from fenpei.domain.sla import ClockKind, ClockState, SlaClock

DUE_SORT = "due"


class DueKind(StrEnum):
    """What falls due, in the order shown when two fall due at the same instant."""

    first_contact = "first_contact"  # an SLA clock for the first contact
    next_contact = "next_contact"  # an SLA clock for a later contact
    follow_up = "follow_up"  # the planned next follow-up
    reclaim = "reclaim"  # the pool takes the customer back


@dataclass(frozen=True)
class DueItem:
    """One thing due on a customer, and when."""

    kind: DueKind
    at: datetime

    def overdue(self, now: datetime) -> bool:
        return self.at <= now


class OwnedWithPlan(Owned, Protocol):
    """What the due items read of a customer."""

    @property
    def id(self) -> int | None: ...
    @property
    def owner_id(self) -> int | None: ...
    @property
    def next_follow_up_at(self) -> datetime | None: ...


def counted_clock(clock: SlaClock | None, owner_id: int | None) -> SlaClock | None:
    """The clock if it is running against the customer's owner (open or breached, not met,
    not paused); a paused clock does not fall due."""
    if clock is None or owner_id is None or clock.rep_id != owner_id:
        return None
    if clock.state not in (ClockState.open, ClockState.breached):
        return None
    return clock if clock.met_at is None and clock.paused_at is None else None


def clock_kind(clock: SlaClock) -> DueKind:
    """A next-contact clock or a first-contact one."""
    return DueKind.next_contact if clock.kind is ClockKind.next else DueKind.first_contact


def due_items(
    customer: OwnedWithPlan, clock: SlaClock | None, terms: Collection[GoverningTerms]
) -> list[DueItem]:
    """Everything due on the customer, earliest first (none if nobody owns it)."""
    if customer.owner_id is None:
        return []
    items = []
    if customer.next_follow_up_at is not None:
        items.append(DueItem(DueKind.follow_up, customer.next_follow_up_at))
    counted = counted_clock(clock, customer.owner_id)
    if counted is not None:
        items.append(DueItem(clock_kind(counted), counted.due_at))
    pool = next((g.pool for g in terms if customer.owner_id in g.owner_ids), None)
    reclaim = due_of(customer, pool) if pool is not None else None
    if reclaim is not None:
        items.append(DueItem(DueKind.reclaim, reclaim.due))
    order = list(DueKind)
    return sorted(items, key=lambda item: (item.at, order.index(item.kind)))
