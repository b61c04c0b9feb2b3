"""A customer's timeline: its assignments, follow-ups and stage changes, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fenpei.domain.assignments import Assignment
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.follow_ups import FollowUp, StageChange
from fenpei.domain.phrases import whole_number
from fenpei.domain.users import Actor
from fenpei.services.customers import read_customer
from fenpei.services.ports import UnitOfWork

MAX_PAGE_SIZE = 200
MAX_OFFSET = 10_000  # a page reads offset + limit of each kind: keep that bounded


class ItemKind(StrEnum):
    assignment = "assignment"
    follow_up = "follow_up"
    stage_change = "stage_change"


# On a tie in time the follow-up comes first (newest first), then the stage move it made,
# then the assignment before them.
_TIE_ORDER = {ItemKind.follow_up: 2, ItemKind.stage_change: 1, ItemKind.assignment: 0}


@dataclass(frozen=True)
class TimelineItem:
    kind: ItemKind
    at: datetime
    record: Assignment | FollowUp | StageChange


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    total: int


def timeline(
    *, uow: UnitOfWork, customer_id: int, actor: Actor, offset: int = 0, limit: int = 50
) -> TimelinePage:
    """One page of what happened to a customer ``actor`` may see, newest first: who got
    it and how, each follow-up, each stage change; and how many there are in all."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed.one("limit", whole_number(1, MAX_PAGE_SIZE))
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationFailed.one("offset", whole_number(0, MAX_OFFSET))
    read_customer(uow=uow, customer_id=customer_id, actor=actor)
    wanted = offset + limit
    items = [
        TimelineItem(ItemKind.assignment, a.at, a)
        for a in uow.assignments.for_customer(customer_id)
    ]
    items += [
        TimelineItem(ItemKind.follow_up, f.at, f)
        for f in uow.follow_ups.for_customer(customer_id, limit=wanted)
    ]
    items += [
        TimelineItem(ItemKind.stage_change, c.at, c)
        for c in uow.stage_changes.for_customer(customer_id, limit=wanted)
    ]
    items.sort(key=lambda i: (i.at, _TIE_ORDER[i.kind], i.record.id or 0), reverse=True)
    total = (
        len(uow.assignments.for_customer(customer_id))
        + uow.follow_ups.count_for(customer_id)
        + uow.stage_changes.count_for(customer_id)
    )
    return TimelinePage(items=items[offset:wanted], total=total)
