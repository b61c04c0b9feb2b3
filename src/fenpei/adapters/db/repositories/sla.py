"""SLA policies, clocks and the admin's calendar entries; the sla-check job's statements."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import ROW_LOCK, Repository
from fenpei.domain.customers import OPEN_STAGES, Stage
from fenpei.domain.sla import CalendarDay, ClockKind, ClockState, SlaClock, SlaPolicy

c = t.sla_clocks.c
_OPEN = ClockState.open.value
_BREACHED = ClockState.breached.value
_NEXT = ClockKind.next.value


def _still_owned() -> sa.ColumnElement[bool]:
    """The clock's owner still owns the customer."""
    cu = t.customers.c
    return sa.exists().where(cu.id == c.customer_id, cu.owner_id == c.rep_id)


def _contacts() -> tuple[sa.ColumnElement[bool], ...]:
    """Follow-ups that answer the clock: of its customer, made since the clock started (a
    next clock: after the contact it started from, so that one does not count)."""
    f = t.follow_ups.c
    return (
        f.customer_id == c.customer_id,
        sa.or_(f.at > c.started_at, sa.and_(c.kind != _NEXT, f.at == c.started_at)),
    )


def _in_time() -> sa.ColumnElement[bool]:
    """Recorded by the due time (a contact typed in later with an earlier time does not
    count), or while the clock was paused (its due time is worked out anew on resume)."""
    return sa.or_(t.follow_ups.c.created_at <= c.due_at, c.paused_at.is_not(None))


def _met(*extra: sa.ColumnElement[bool]) -> tuple[sa.ColumnElement[bool], sa.ScalarSelect[Any]]:
    """Whether the clock's owner answered it, and when: the earliest answering follow-up."""
    f = t.follow_ups.c
    answered = sa.and_(_still_owned(), sa.exists().where(*_contacts(), *extra))
    return answered, sa.select(sa.func.min(f.at)).where(*_contacts(), *extra).scalar_subquery()


def _next_can_start() -> sa.ColumnElement[bool]:
    """A next clock may follow the clock's contact: its policy (still on) has a next-contact
    target and its owner still owns the customer, open (not won or lost) and not deleted."""
    p, cu = t.sla_policies.c, t.customers.c
    return sa.and_(
        sa.exists().where(
            p.id == c.policy_id, p.active.is_(True), p.next_contact_minutes.is_not(None)
        ),
        sa.exists().where(
            cu.id == c.customer_id,
            cu.owner_id == c.rep_id,
            cu.stage.in_([s.value for s in OPEN_STAGES]),
            cu.deleted_at.is_(None),
        ),
    )


def _due(step: str, now: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    running = (c.state == _OPEN, c.paused_at.is_(None))
    if step == "remind":
        return (*running, c.reminded_at.is_(None), c.remind_at <= now)
    if step == "breach":
        return (*running, c.due_at <= now)
    if step == "reassign":
        return (
            c.state == _BREACHED,
            c.met_at.is_(None),
            c.reassigned_at.is_(None),
            c.reassign_at <= now,
        )
    if step == "escalate":
        return (c.state == _BREACHED, c.escalated_at.is_(None))
    if step == "follow":
        return (c.met_at.is_not(None), c.followed_at.is_(None))
    raise ValueError(f"unknown SLA step {step!r}")


_SETS: dict[str, tuple[str, ...]] = {
    "remind": ("reminded_at",),
    "breach": ("breached_at",),
    "reassign": ("reassigned_at",),
    "escalate": ("escalated_at",),
    "follow": ("followed_at",),
}


# The statements below are ORM-enabled (on the mapped classes), so the objects this session
# holds are brought up to date ("auto": evaluated in Python, or fetched where it cannot).


class SqlSla(Repository):
    # The policies, read once per unit of work: every assignment asks for them (a bulk
    # assignment of 500 asked 500 times). Added or deleted here, they are read again;
    # edited here, the same objects show the edit (and are ordered again as they are).
    _policies: list[SlaPolicy] | None = None

    def policies(self) -> list[SlaPolicy]:
        if self._policies is None:
            p = t.sla_policies.c
            query = sa.select(SlaPolicy).order_by(p.position, p.id)
            self._policies = list(self.session.scalars(query))
        return sorted(self._policies, key=lambda policy: (policy.position, policy.id or 0))

    def get_policy(self, policy_id: int) -> SlaPolicy | None:
        return self.session.get(SlaPolicy, policy_id)

    def add_policy(self, policy: SlaPolicy) -> None:
        self._add(policy)
        self._policies = None

    def delete_policy(self, policy: SlaPolicy) -> None:
        self.session.delete(policy)
        self.session.flush()
        self._policies = None

    def add_clock(self, clock: SlaClock) -> None:
        self._add(clock)

    def get_clock(self, clock_id: int, *, lock: bool = False) -> SlaClock | None:
        return self.session.get(SlaClock, clock_id, with_for_update=ROW_LOCK if lock else None)

    def open_clock(self, customer_id: int) -> SlaClock | None:
        return self.session.scalar(
            sa.select(SlaClock)
            .where(c.customer_id == customer_id, c.state == _OPEN)
            .order_by(c.id.desc())
            .limit(1)
        )

    def clocks_for(self, customer_id: int) -> list[SlaClock]:
        query = sa.select(SlaClock).where(c.customer_id == customer_id).order_by(c.id.desc())
        return list(self.session.scalars(query))

    def latest_by_customer(self, customer_ids: Collection[int]) -> dict[int, SlaClock]:
        if not customer_ids:
            return {}
        newest = (
            sa.select(sa.func.max(c.id))
            .where(c.customer_id.in_(list(customer_ids)))
            .group_by(c.customer_id)
        )
        clocks = self.session.scalars(sa.select(SlaClock).where(c.id.in_(newest)))
        return {clock.customer_id: clock for clock in clocks}

    def calendar_days(self, calendar: str, years: Collection[int]) -> list[CalendarDay]:
        h = t.holidays.c
        if not years:
            return []
        query = sa.select(CalendarDay).where(
            h.calendar == calendar,
            h.day >= date(min(years), 1, 1),
            h.day <= date(max(years), 12, 31),
        )
        return [d for d in self.session.scalars(query.order_by(h.day)) if d.day.year in years]

    def add_days(self, days: Sequence[CalendarDay]) -> None:
        self._add_all(t.holidays, days)

    def delete_year(self, calendar: str, year: int) -> int:
        h = t.holidays.c
        result = self.session.execute(
            sa.delete(CalendarDay).where(
                h.calendar == calendar, h.day >= date(year, 1, 1), h.day <= date(year, 12, 31)
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def cancel_open_many(self, customer_ids: Collection[int], *, now: datetime) -> int:
        stopped = self.session.execute(
            sa.update(SlaClock)
            .where(c.state == _OPEN, c.customer_id.in_(sorted(set(customer_ids))))
            .values(state=ClockState.cancelled.value, cancelled_at=now)
        )
        return int(stopped.rowcount)  # type: ignore[attr-defined]

    def mark_met(self, *, now: datetime, customer_id: int | None = None) -> int:
        of = () if customer_id is None else (c.customer_id == customer_id,)
        in_time, at = _met(_in_time())
        met = self.session.execute(
            sa.update(SlaClock)
            .where(c.state == _OPEN, *of, in_time)
            .values(state=ClockState.met.value, met_at=at)
        )
        late, at = _met()  # a breached clock answered after all: when the contact came
        self.session.execute(
            sa.update(SlaClock)
            .where(c.state == _BREACHED, c.met_at.is_(None), *of, late)
            .values(met_at=at)
        )
        return int(met.rowcount)  # type: ignore[attr-defined]

    def cancel_closed(self, *, now: datetime) -> int:
        closed = [s.value for s in Stage if not s.is_open]
        stopped = self.session.execute(
            sa.update(SlaClock)
            .where(
                c.state == _OPEN,
                sa.or_(c.due_at > now, c.paused_at.is_not(None)),  # a missed one: breached
                sa.exists().where(
                    t.customers.c.id == c.customer_id, t.customers.c.stage.in_(closed)
                ),
            )
            .values(state=ClockState.cancelled.value, cancelled_at=now)
        )
        return int(stopped.rowcount)  # type: ignore[attr-defined]

    def settle_contacts(self, *, now: datetime) -> int:
        settled = self.session.execute(
            sa.update(SlaClock)
            .where(*_due("follow", now), sa.not_(_next_can_start()))
            .values(followed_at=now)
        )
        return int(settled.rowcount)  # type: ignore[attr-defined]

    def due(self, step: str, *, now: datetime, limit: int) -> list[SlaClock]:
        query = sa.select(SlaClock).where(*_due(step, now)).order_by(c.due_at, c.id)
        return list(self.session.scalars(query.limit(limit)))

    def claim(self, clock_id: int, step: str, *, now: datetime) -> bool:
        values: dict[str, Any] = dict.fromkeys(_SETS[step], now)
        if step == "breach":
            values["state"] = _BREACHED
        result = self.session.execute(
            sa.update(SlaClock).where(c.id == clock_id, *_due(step, now)).values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
