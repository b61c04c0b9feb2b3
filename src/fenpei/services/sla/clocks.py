"""SLA clocks: started for every new owner of an open customer (``services/assignments.give``
calls ``on_new_owner``), cancelled when the customer leaves its owner or is won or lost
(``on_closed``), paused and resumed by a manager, and read for the customer's page and the
API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fenpei.domain.business_time import NoBusinessTime
from fenpei.domain.customers import Customer
from fenpei.domain.errors import Conflict, NotFound
from fenpei.domain.org import Rep
from fenpei.domain.sla import ClockState, SlaClock, SlaPolicy, pick_policy
from fenpei.domain.users import Actor
from fenpei.services import scope
from fenpei.services.ports import UnitOfWork
from fenpei.services.sla.calendars import work_calendar


def timings(
    uow: UnitOfWork, clock: SlaClock, rep: Rep, policy: SlaPolicy, *, left: int, since: datetime
) -> None:
    """Set due, remind and reassign instants: ``left`` business minutes after ``since``."""
    calendar = work_calendar(uow, rep, policy.calendar, since)
    add: Callable[[datetime, int], datetime] = calendar.add
    try:
        add(since, left)
    except NoBusinessTime:  # holidays every day for years: count plain minutes, never fail
        add = _wall_clock
    clock.due_at = add(since, left)
    remind_left = left - policy.remind_before_minutes
    clock.remind_at = add(since, max(remind_left, 0)) if policy.remind_before_minutes > 0 else None
    after = policy.reassign_after_minutes
    clock.reassign_at = add(clock.due_at, after) if after is not None else None


def _wall_clock(start: datetime, minutes: int) -> datetime:
    return start + timedelta(minutes=minutes)


def cancel_open(uow: UnitOfWork, *, customer_id: int, now: datetime) -> SlaClock | None:
    """Stop the customer's open clock (it changed hands or went to a pool)."""
    clock = uow.sla.open_clock(customer_id)
    if clock is not None:
        clock.state, clock.cancelled_at = ClockState.cancelled, now
    return clock


def on_closed(uow: UnitOfWork, *, customer: Customer, now: datetime) -> SlaClock | None:
    """A won or lost customer has nothing left to contact it for: its running clock (first
    or next contact) is met if a contact answered it (the job's own test, for this
    customer), and stops otherwise, unless it was missed already (due, not paused): the
    job breaches that one, so closing a customer never hides a miss. Every stage move
    calls this; the sla-check job stops any clock a path without it left running
    (``cancel_closed``)."""
    if customer.is_open or customer.id is None:
        return None
    uow.sla.mark_met(now=now, customer_id=customer.id)
    clock = uow.sla.open_clock(customer.id)
    if clock is None or (clock.due_at <= now and clock.paused_at is None):
        return None
    clock.state, clock.cancelled_at = ClockState.cancelled, now
    return clock


def run_again(
    uow: UnitOfWork, *, customer_id: int, owner_id: int | None, cancelled_at: datetime
) -> SlaClock | None:
    """The customer's newest clock, stopped at ``cancelled_at`` (by a merge now undone),
    runs again, due when it was due, if its rep still owns the customer and no other clock
    runs: the contact it waited for was never made."""
    newest = next(iter(uow.sla.clocks_for(customer_id)), None)
    if (
        newest is None
        or newest.state != ClockState.cancelled
        or newest.cancelled_at != cancelled_at
        or newest.rep_id != owner_id
        or uow.sla.open_clock(customer_id) is not None
    ):
        return None
    newest.state, newest.cancelled_at = ClockState.open, None
    return newest


def on_new_owner(
    uow: UnitOfWork,
    *,
    customer: Customer,
    rep: Rep,
    rule_id: int | None,
    now: datetime,
    had_owner: bool = True,
    assignment_id: int | None = None,
) -> SlaClock | None:
    """The new owner's first-contact clock, if a policy applies and the customer is open
    (a won or lost one has no contact due); the previous owner's clock stops (``had_owner``
    False: there was none, a release stopped any). Due in the new owner's business time."""
    assert customer.id is not None and rep.id is not None
    if had_owner:
        cancel_open(uow, customer_id=customer.id, now=now)
    if not customer.is_open:
        return None
    policy = pick_policy(uow.sla.policies(), rule_id=rule_id, level=customer.level)
    if policy is None:
        return None
    clock = SlaClock(
        customer_id=customer.id, rep_id=rep.id, policy_id=policy.id, started_at=now, due_at=now,
        assignment_id=assignment_id,
    )  # fmt: skip
    timings(uow, clock, rep, policy, left=policy.first_contact_minutes, since=now)
    uow.sla.add_clock(clock)
    return clock


def _managed_clock(uow: UnitOfWork, actor: Actor, customer_id: int) -> SlaClock:
    scope.require_writer(actor, "pause or resume SLA clocks")
    scope.require_overseer(actor, "pause or resume SLA clocks")
    visible = scope.data_scope(uow=uow, actor=actor)
    scope.visible_customer(visible, uow.customers.get(customer_id, lock=True), customer_id)
    clock = uow.sla.open_clock(customer_id)
    if clock is None:
        raise NotFound("SLA clock", customer_id)
    return clock


def pause(*, uow: UnitOfWork, customer_id: int, actor: Actor, now: datetime) -> SlaClock:
    """Stop the customer's open clock counting (e.g. the customer asked to be called next
    week); a manager's or admin's act."""
    clock = _managed_clock(uow, actor, customer_id)
    if clock.paused_at is not None:
        raise Conflict(f"the SLA clock of customer {customer_id} is already paused")
    clock.paused_at = now
    return clock


def resume(*, uow: UnitOfWork, customer_id: int, actor: Actor, now: datetime) -> SlaClock:
    """Let a paused clock count again: the business time left when it was paused is left
    now, so the paused time does not count."""
    clock = _managed_clock(uow, actor, customer_id)
    if clock.paused_at is None:
        raise Conflict(f"the SLA clock of customer {customer_id} is not paused")
    rep = uow.reps.get(clock.rep_id)
    policy = uow.sla.get_policy(clock.policy_id) if clock.policy_id is not None else None
    if rep is None or policy is None:
        raise NotFound("SLA policy", clock.policy_id or 0)
    calendar = work_calendar(uow, rep, policy.calendar, now)
    left = calendar.elapsed(clock.paused_at, clock.due_at)
    clock.paused_minutes += calendar.elapsed(clock.paused_at, now)
    clock.paused_at = None
    timings(uow, clock, rep, policy, left=left, since=now)
    if clock.reminded_at is not None and clock.remind_at is not None:
        clock.remind_at = clock.reminded_at  # reminded once already: not again
    return clock


@dataclass(frozen=True)
class ClockView:
    """A customer's SLA clock as pages and the API show it."""

    clock: SlaClock
    policy_name: str | None
    rep_name: str | None
    time_zone: str
    remaining_minutes: int | None  # business minutes left (negative: overdue); None if done


def view(*, uow: UnitOfWork, customer_id: int, actor: Actor, now: datetime) -> ClockView | None:
    """The customer's newest clock with the business time left in its owner's calendar."""
    visible = scope.data_scope(uow=uow, actor=actor)
    scope.visible_customer(visible, uow.customers.get(customer_id), customer_id)
    clocks = uow.sla.clocks_for(customer_id)
    if not clocks:
        return None
    clock = clocks[0]
    rep = uow.reps.get(clock.rep_id)
    policy = uow.sla.get_policy(clock.policy_id) if clock.policy_id is not None else None
    remaining = None
    if rep is not None and clock.state in (ClockState.open, ClockState.breached):
        calendar = work_calendar(uow, rep, policy.calendar if policy else "CN", now)
        at = clock.paused_at or now
        if clock.state is ClockState.breached:  # the job said so: never "time left"
            remaining = -calendar.elapsed(clock.due_at, max(at, clock.due_at))
        elif at < clock.due_at:
            remaining = calendar.elapsed(at, clock.due_at)
        else:
            remaining = -calendar.elapsed(clock.due_at, at)
    return ClockView(
        clock=clock,
        policy_name=policy.name if policy else None,
        rep_name=rep.name if rep else None,
        time_zone=rep.time_zone if rep else "UTC",
        remaining_minutes=remaining,
    )
