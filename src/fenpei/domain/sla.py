"""First-contact SLAs (首次联系时限): policies, the clock each new owner gets, and the
holiday calendar entries the clocks count business time by. A policy may also set a
next-contact target (下次联系时限): once the owner has made contact, each contact starts a
``next`` clock that the owner's following contact meets.

A policy applies to a new owner when it is active and matches the assignment's rule, else
the customer's level, else it is a catch-all (no rule, no level); among several that match
equally the lowest ``position`` wins. No policy: no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from fenpei.domain.business_time import DayKind

MAX_MINUTES = 525_600  # a year of business minutes is more than any target needs
MAX_NAME = 100
CALENDAR_CN = "CN"  # China's official holidays and make-up workdays, plus the admin's list
CALENDAR_NONE = "none"  # working hours only
CALENDARS = (CALENDAR_CN, CALENDAR_NONE)


class ClockKind(StrEnum):
    first = "first"  # the new owner's first contact
    next = "next"  # the owner's next contact after the last one


class ClockState(StrEnum):
    open = "open"  # running (or paused)
    met = "met"  # the owner made contact in time
    breached = "breached"  # the target passed without contact (persisted by the job)
    cancelled = "cancelled"  # the customer changed hands or went to a pool first (a next
    # clock also when the customer was won or lost)


@dataclass(eq=False)
class SlaPolicy:
    """A first-contact target in business minutes, its reminder, escalation and reassign;
    optionally a next-contact target, counted from each contact, with the same chain."""

    name: str
    first_contact_minutes: int
    level: str | None = None  # a customer level code; None: any level
    rule_id: int | None = None  # the assignment's rule; None: any
    remind_before_minutes: int = 0  # 0: no reminder
    notify_manager: bool = False
    reassign_after_minutes: int | None = None  # after the breach; None: never
    next_contact_minutes: int | None = None  # after each contact; None: no next-contact target
    calendar: str = CALENDAR_CN
    active: bool = True
    position: int = 0
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(eq=False)
class SlaClock:
    """One owner's first-contact (or next-contact) clock on one customer. ``remind_at`` and
    ``reassign_at`` are worked out in the owner's business time when the clock starts (or
    resumes), so the job compares instants only. ``followed_at``: when the job dealt with
    the contact that met it (started the next clock, or found none applies)."""

    customer_id: int
    rep_id: int
    started_at: datetime
    due_at: datetime
    policy_id: int | None = None
    assignment_id: int | None = None
    state: ClockState = ClockState.open
    remind_at: datetime | None = None
    reassign_at: datetime | None = None
    reminded_at: datetime | None = None
    breached_at: datetime | None = None
    escalated_at: datetime | None = None
    reassigned_at: datetime | None = None
    met_at: datetime | None = None
    cancelled_at: datetime | None = None
    paused_at: datetime | None = None
    paused_minutes: int = 0
    kind: ClockKind = ClockKind.first
    followed_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class CalendarDay:
    """An admin's entry for one day: a holiday or a make-up workday, by calendar key."""

    day: date
    kind: DayKind
    name: str = ""
    calendar: str = CALENDAR_CN
    id: int | None = None


def pick_policy(
    policies: Sequence[SlaPolicy], *, rule_id: int | None, level: str | None
) -> SlaPolicy | None:
    """The policy for a new owner: by rule first, then by level, then a catch-all."""
    active = sorted((p for p in policies if p.active), key=lambda p: (p.position, p.id or 0))
    by_rule = [p for p in active if p.rule_id is not None and p.rule_id == rule_id]
    by_level = [p for p in active if p.rule_id is None and p.level is not None and p.level == level]
    catch_all = [p for p in active if p.rule_id is None and p.level is None]
    for found in (by_rule, by_level, catch_all):
        if found:
            return found[0]
    return None
