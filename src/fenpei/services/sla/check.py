"""The sla-check job's work: contact made → met (and, if the policy has a next-contact
target, the next clock started from that contact; a won or lost customer's clock
cancelled); near the due time → remind the owner;
past it → breached (persisted here, never computed on view), the owner told and, if the
policy says, the manager; long past it → the customer re-routed through the engine
without its owner. Each step is claimed by a conditional update, so two processes never
do one twice (and the job runs under a lock besides)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from random import Random

from fenpei.domain.sla import SlaClock
from fenpei.domain.tasks import TaskOrigin
from fenpei.domain.users import SYSTEM
from fenpei.services.notifications.events import emit_reminder, manager_user_ids
from fenpei.services.ports import UnitOfWork
from fenpei.services.routing import route_without
from fenpei.services.rulebook import RuleBook
from fenpei.services.sla.next_contact import BREACH_TASK_TITLES, MESSAGES, start_after
from fenpei.services.tasks.origins import task_from_warning

BATCH = 500
MAX_BATCHES = 200  # a run handles at most this many batches per step; the next run goes on


@dataclass
class CheckReport:
    met: int = 0
    reminded: int = 0
    breached: int = 0
    escalated: int = 0
    reassigned: int = 0
    kept: int = 0  # due for reassignment, but nobody else could take the customer
    started: int = 0  # next-contact clocks started after a contact
    stopped: int = 0  # clocks cancelled: the customer was won or lost
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.met} met, {self.reminded} reminded, {self.breached} breached, "
            f"{self.escalated} escalated, {self.reassigned} reassigned, {self.kept} kept, "
            f"{self.started} next started, {self.stopped} stopped"
        )


def _remind(uow: UnitOfWork, clock: SlaClock, now: datetime, report: CheckReport) -> None:
    customer = uow.customers.get(clock.customer_id)
    if customer is None or not uow.sla.claim(clock.id or 0, "remind", now=now):
        return
    emit_reminder(
        uow,
        kind=MESSAGES[clock.kind][0],
        customer=customer,
        now=now,
        rep_ids=[clock.rep_id],
        due=clock.due_at,
    )
    report.reminded += 1


def _breach(uow: UnitOfWork, clock: SlaClock, now: datetime, report: CheckReport) -> None:
    customer = uow.customers.get(clock.customer_id)
    if customer is None or not uow.sla.claim(clock.id or 0, "breach", now=now):
        return
    emit_reminder(
        uow,
        kind=MESSAGES[clock.kind][1],
        customer=customer,
        now=now,
        rep_ids=[clock.rep_id],
        due=clock.due_at,
    )
    if customer.is_open:  # a customer closed after the miss needs no contact task
        task_from_warning(uow, origin=TaskOrigin.sla, customer=customer, due=None, now=now,
                          ref=f"sla_clock:{clock.id}",
                          titles=BREACH_TASK_TITLES.get(clock.kind))  # fmt: skip
    report.breached += 1
    policy = uow.sla.get_policy(clock.policy_id) if clock.policy_id is not None else None
    rep = uow.reps.get(clock.rep_id)
    if policy is None or not policy.notify_manager or rep is None:
        return
    managers = manager_user_ids(uow, rep.team_id)
    if managers and uow.sla.claim(clock.id or 0, "escalate", now=now):
        emit_reminder(
            uow,
            kind=MESSAGES[clock.kind][2],
            customer=customer,
            now=now,
            user_ids=managers,
            due=clock.due_at,
        )
        report.escalated += 1


def reassign(
    uow: UnitOfWork, *, rulebook: RuleBook, clock: SlaClock, now: datetime, rng: Random
) -> bool:
    """Route the clock's customer again with its owner left out of the candidates; False
    (nothing changes) if no rule gives it to anyone else or to a pool. The caller holds
    the customer's lock. The engine is asked with the owner removed from the reps it may
    choose; the rule's strategy state (round-robin cursor) is not advanced by it. A won or
    lost customer stays with the rep who closed it."""
    customer = uow.customers.get(clock.customer_id)
    if (
        customer is None
        or customer.owner_id != clock.rep_id
        or customer.deleted_at
        or not customer.is_open
    ):
        return False
    decision = route_without(
        uow, rulebook=rulebook, customer=customer, rep_id=clock.rep_id, actor=SYSTEM, now=now,
        rng=rng,
    )  # fmt: skip
    return decision is not None


def _start_next(uow_factory: Callable[[], UnitOfWork], now: datetime, report: CheckReport) -> None:
    """A next clock after each contact that one may follow (the others were settled in
    one statement), each in its own transaction, the customer locked first."""
    for _ in range(MAX_BATCHES):
        with uow_factory() as uow:
            due_ids = [clock.id or 0 for clock in uow.sla.due("follow", now=now, limit=BATCH)]
        for clock_id in due_ids:
            with uow_factory() as uow:
                report.started += start_after(uow, clock_id=clock_id, now=now) is not None
                uow.commit()
        if len(due_ids) < BATCH:
            break


def check(
    *,
    uow_factory: Callable[[], UnitOfWork],
    rulebook: RuleBook,
    now: datetime,
    rng: Random,
) -> CheckReport:
    """One run of every step, each in its own transactions."""
    report = CheckReport()
    with uow_factory() as uow:
        report.met = uow.sla.mark_met(now=now)
        report.stopped = uow.sla.cancel_closed(now=now)
        uow.commit()
    for step, act in (("remind", _remind), ("breach", _breach)):
        for _ in range(MAX_BATCHES):
            with uow_factory() as uow:
                due = uow.sla.due(step, now=now, limit=BATCH)
                for clock in due:
                    act(uow, clock, now, report)
                uow.commit()
            if len(due) < BATCH:
                break
    with uow_factory() as uow:  # a contact that came late was just breached: met late
        report.met += uow.sla.mark_met(now=now)
        uow.sla.settle_contacts(now=now)
        uow.commit()
    _start_next(uow_factory, now, report)
    with uow_factory() as uow:
        due_ids = [clock.id or 0 for clock in uow.sla.due("reassign", now=now, limit=BATCH)]
    for clock_id in due_ids:
        with uow_factory() as uow:
            # Lock order as everywhere: the customer first, then (the claim) its clock.
            found = uow.sla.get_clock(clock_id)
            if found is None:
                continue
            uow.customers.get(found.customer_id, lock=True)
            if not uow.sla.claim(clock_id, "reassign", now=now):
                continue
            moved = reassign(uow, rulebook=rulebook, clock=found, now=now, rng=rng)
            report.reassigned += moved
            report.kept += not moved
            uow.commit()
    return report
