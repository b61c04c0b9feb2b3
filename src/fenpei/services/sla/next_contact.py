"""Next-contact clocks (下次联系时限): once the owner has made contact (a clock met, in time
or late), the sla-check job starts a ``next`` clock counted from that contact, due the
policy's ``next_contact_minutes`` later in the owner's business time; the owner's next
contact meets it and starts the one after. Transfers and pools cancel it like any clock
(``clocks.cancel_open``); a won or lost customer's stops with the stage move
(``clocks.on_closed``), or at the job's next run for a path that moved it otherwise."""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.events import ReminderKind
from fenpei.domain.sla import ClockKind, SlaClock
from fenpei.services.ports import UnitOfWork
from fenpei.services.sla.clocks import timings

# Which reminder each kind of clock sends: near the due time, breached, to the manager.
MESSAGES = {
    ClockKind.first: (
        ReminderKind.sla_due_soon, ReminderKind.sla_breached, ReminderKind.sla_escalated,
    ),
    ClockKind.next: (
        ReminderKind.sla_next_due_soon, ReminderKind.sla_next_breached,
        ReminderKind.sla_next_escalated,
    ),
}  # fmt: skip
# The owner's task on a breach of a next clock (a first clock's is the task origin's own).
BREACH_TASK_TITLES = {
    ClockKind.next: {
        "zh-CN": "再次联系客户「{name}」（下次联系已超时）",
        "en": "Contact “{name}” again (next contact overdue)",
    },
}


def start_after(uow: UnitOfWork, *, clock_id: int, now: datetime) -> SlaClock | None:
    """The next clock after the met clock ``clock_id``'s contact, if one applies; the met
    clock is claimed (``followed_at``) either way, so no other run starts it again. Locks
    the customer first, as every step that changes its clocks."""
    found = uow.sla.get_clock(clock_id)
    if found is None:
        return None
    customer = uow.customers.get(found.customer_id, lock=True)
    if customer is None or not uow.sla.claim(clock_id, "follow", now=now):
        return None
    policy = uow.sla.get_policy(found.policy_id) if found.policy_id is not None else None
    rep = uow.reps.get(found.rep_id)
    since = customer.last_follow_up_at
    if (
        policy is None
        or policy.next_contact_minutes is None
        or not policy.active
        or rep is None
        or since is None
        or customer.owner_id != found.rep_id
        or not customer.is_open
        or customer.deleted_at is not None
        or uow.sla.open_clock(found.customer_id) is not None
    ):
        return None
    clock = SlaClock(
        customer_id=found.customer_id, rep_id=found.rep_id, policy_id=policy.id,
        started_at=since, due_at=since, assignment_id=found.assignment_id, kind=ClockKind.next,
    )  # fmt: skip
    timings(uow, clock, rep, policy, left=policy.next_contact_minutes, since=since)
    uow.sla.add_clock(clock)
    return clock
