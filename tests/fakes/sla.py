"""SLA policies, clocks and calendar entries in memory, with the job's steps."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from fenpei.domain.sla import CalendarDay, ClockKind, ClockState, SlaClock, SlaPolicy
from tests.fakes.store import Store


class FakeSla:
    def __init__(self, store: Store) -> None:
        self._store = store

    def policies(self) -> list[SlaPolicy]:
        return sorted(self._store.sla_policies, key=lambda p: (p.position, p.id or 0))

    def get_policy(self, policy_id: int) -> SlaPolicy | None:
        return self._store.sla_policies.rows.get(policy_id)

    def add_policy(self, policy: SlaPolicy) -> None:
        self._store.add(self._store.sla_policies, policy)

    def delete_policy(self, policy: SlaPolicy) -> None:
        self._store.delete(self._store.sla_policies, policy.id)

    def add_clock(self, clock: SlaClock) -> None:
        self._store.add(self._store.sla_clocks, clock)

    def get_clock(self, clock_id: int, *, lock: bool = False) -> SlaClock | None:
        if lock:
            self._store.lock("sla_clock", [clock_id])
        return self._store.sla_clocks.rows.get(clock_id)

    def open_clock(self, customer_id: int) -> SlaClock | None:
        found = [
            k
            for k in self._store.sla_clocks
            if k.customer_id == customer_id and k.state is ClockState.open
        ]
        return max(found, key=lambda k: k.id or 0, default=None)

    def clocks_for(self, customer_id: int) -> list[SlaClock]:
        mine = [k for k in self._store.sla_clocks if k.customer_id == customer_id]
        return sorted(mine, key=lambda k: -(k.id or 0))

    def latest_by_customer(self, customer_ids: Collection[int]) -> dict[int, SlaClock]:
        latest: dict[int, SlaClock] = {}
        for clock in sorted(self._store.sla_clocks, key=lambda k: k.id or 0):
            if clock.customer_id in customer_ids:
                latest[clock.customer_id] = clock
        return latest

    def calendar_days(self, calendar: str, years: Collection[int]) -> list[CalendarDay]:
        days = [d for d in self._store.holidays if d.calendar == calendar and d.day.year in years]
        return sorted(days, key=lambda d: d.day)

    def add_days(self, days: Sequence[CalendarDay]) -> None:
        for day in days:
            self._store.add(self._store.holidays, day)

    def delete_year(self, calendar: str, year: int) -> int:
        gone = [d for d in self._store.holidays if d.calendar == calendar and d.day.year == year]
        for day in gone:
            self._store.delete(self._store.holidays, day.id)
        return len(gone)

    def _first_contact(self, clock: SlaClock, *, in_time: bool) -> datetime | None:
        """When the clock's owner answered it (the earliest answering follow-up), if they
        did; ``in_time``: recorded by the due time, or while the clock was paused."""
        customer = self._store.customers.rows.get(clock.customer_id)
        if customer is None or customer.owner_id != clock.rep_id:
            return None
        answering = [
            f.at
            for f in self._store.follow_ups
            if f.customer_id == clock.customer_id
            and (f.at > clock.started_at
                 or (clock.kind is not ClockKind.next and f.at == clock.started_at))
            and (not in_time or clock.paused_at is not None
                 or (f.created_at is not None and f.created_at <= clock.due_at))
        ]  # fmt: skip
        return min(answering, default=None)

    def _next_can_start(self, clock: SlaClock) -> bool:
        policy = self.get_policy(clock.policy_id) if clock.policy_id is not None else None
        customer = self._store.customers.rows.get(clock.customer_id)
        return (
            policy is not None
            and policy.active
            and policy.next_contact_minutes is not None
            and customer is not None
            and customer.owner_id == clock.rep_id
            and customer.is_open
            and customer.deleted_at is None
        )

    def cancel_closed(self, *, now: datetime) -> int:
        stopped = 0
        for clock in self._store.sla_clocks:
            customer = self._store.customers.rows.get(clock.customer_id)
            missed = clock.due_at <= now and clock.paused_at is None
            if (
                clock.state is ClockState.open
                and not missed
                and customer is not None
                and not customer.is_open
            ):
                clock.state, clock.cancelled_at = ClockState.cancelled, now
                stopped += 1
        return stopped

    def settle_contacts(self, *, now: datetime) -> int:
        settled = 0
        for clock in self._store.sla_clocks:
            if self._is_due(clock, "follow", now) and not self._next_can_start(clock):
                clock.followed_at = now
                settled += 1
        return settled

    def cancel_open_many(self, customer_ids: Collection[int], *, now: datetime) -> int:
        stopped = 0
        for clock in self._store.sla_clocks:
            if clock.customer_id in customer_ids and clock.state is ClockState.open:
                clock.state, clock.cancelled_at = ClockState.cancelled, now
                stopped += 1
        return stopped

    def mark_met(self, *, now: datetime, customer_id: int | None = None) -> int:
        met = 0
        for clock in self._store.sla_clocks:
            if customer_id is not None and clock.customer_id != customer_id:
                continue
            if clock.state is ClockState.open:
                at = self._first_contact(clock, in_time=True)
                if at is not None:
                    clock.state, clock.met_at = ClockState.met, at
                    met += 1
            elif clock.state is ClockState.breached and clock.met_at is None:
                clock.met_at = self._first_contact(clock, in_time=False)
        return met

    def _is_due(self, clock: SlaClock, step: str, now: datetime) -> bool:
        running = clock.state is ClockState.open and clock.paused_at is None
        if step == "remind":
            return (
                running
                and clock.reminded_at is None
                and clock.remind_at is not None
                and clock.remind_at <= now
            )
        if step == "breach":
            return running and clock.due_at <= now
        if step == "reassign":
            return (
                clock.state is ClockState.breached
                and clock.met_at is None
                and clock.reassigned_at is None
                and clock.reassign_at is not None
                and clock.reassign_at <= now
            )
        if step == "escalate":
            return clock.state is ClockState.breached and clock.escalated_at is None
        if step == "follow":
            return clock.met_at is not None and clock.followed_at is None
        raise ValueError(f"unknown SLA step {step!r}")

    def due(self, step: str, *, now: datetime, limit: int) -> list[SlaClock]:
        found = [k for k in self._store.sla_clocks if self._is_due(k, step, now)]
        return sorted(found, key=lambda k: (k.due_at, k.id or 0))[:limit]

    def claim(self, clock_id: int, step: str, *, now: datetime) -> bool:
        clock = self._store.sla_clocks.rows.get(clock_id)
        if clock is None or not self._is_due(clock, step, now):
            return False
        if step == "remind":
            clock.reminded_at = now
        elif step == "breach":
            clock.state, clock.breached_at = ClockState.breached, now
        elif step == "reassign":
            clock.reassigned_at = now
        elif step == "follow":
            clock.followed_at = now
        else:
            clock.escalated_at = now
        return True
