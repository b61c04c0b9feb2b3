"""Reps' loads as kept counters (``rep_loads``): read in one row per rep whatever the rep
holds, moved in the transaction of every ownership change, and recounted from the records
to find and repair drift.

Open holdings move by triggers on ``customers`` (see the migration ``20261205_rep_loads``);
intake moves here, when an assignment record is written (``count_intake``): each count
belongs to the rep's local day, week or month named beside it, so a count from yesterday
reads as 0 today without anything having to reset it at midnight.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.types import UtcDateTime
from fenpei.domain.assignments import Assignment
from fenpei.domain.customers import OPEN_STAGES
from fenpei.domain.org import Rep
from fenpei.engine.capacity import Periods, Usage, intake, periods
from fenpei.services.ports import RepLoad

_WINDOWS = ("day", "week", "month")
# Intake is recounted from records this far back: a month and a day or two of zones.
_RECOUNT_SPAN = timedelta(days=33)


def read_loads(
    session: Session, *, now: datetime, rep_ids: Collection[int] | None
) -> dict[int, RepLoad]:
    """Each rep's kept load as of ``now`` (a count of an earlier period reads as 0)."""
    dialect = session.get_bind().dialect.name
    only = sorted(set(rep_ids)) if rep_ids is not None else None
    params = {} if only is None else {"rep_ids": only}
    current: dict[str, Periods] = {}
    loads: dict[int, RepLoad] = {}
    for row in session.execute(_read_statement(everyone=only is None, dialect=dialect), params):
        (rep_id, count, value, day, d, week, w, month, m, last_at, zone_name) = row
        now_in = current.get(zone_name) or current.setdefault(zone_name, periods(now, zone_name))
        usage = Usage(
            count,
            d if day == now_in.day else 0,
            w if week == now_in.week else 0,
            m if month == now_in.month else 0,
        )
        loads[rep_id] = RepLoad(usage, Decimal(value), last_at)
    for rep_id in only or ():  # asked for, but no such rep: nothing held, nothing received
        loads.setdefault(rep_id, RepLoad(Usage(0), Decimal(0), None))
    return loads


@dataclass
class _Intake:
    """What one write adds to a rep's intake: the latest period of each window it
    touches and how many records fell in that period."""

    day: date
    week: date
    month: date
    in_day: int = 0
    in_week: int = 0
    in_month: int = 0
    last_at: datetime | None = None

    def add(self, when: Periods, at: datetime) -> None:
        for window in _WINDOWS:
            key, count = getattr(when, window), f"in_{window}"
            if key > getattr(self, window):
                setattr(self, window, key)
                setattr(self, count, 1)
            elif key == getattr(self, window):
                setattr(self, count, getattr(self, count) + 1)
        self.last_at = at if self.last_at is None else max(self.last_at, at)


def count_intake(session: Session, records: Iterable[Assignment]) -> None:
    """Count new assignment records in their reps' intake (a transfer to oneself is not
    intake), in the caller's transaction: one UPDATE per rep touched."""
    counted = [
        (record.to_rep_id, record.at)
        for record in records
        if record.to_rep_id is not None and record.from_rep_id != record.to_rep_id
    ]
    zones = _zones(session, {rep_id for rep_id, _ in counted})
    by_rep: dict[int, _Intake] = {}
    for rep_id, at in counted:
        when = periods(at, zones.get(rep_id, "UTC"))
        kept = by_rep.get(rep_id)
        if kept is None:
            kept = by_rep[rep_id] = _Intake(when.day, when.week, when.month)
        kept.add(when, at)
    if by_rep:
        session.execute(
            _bump_statement(),
            [
                {
                    "b_rep": rep_id,
                    **{f"b_{w}": getattr(kept, w) for w in _WINDOWS},
                    **{f"b_in_{w}": getattr(kept, f"in_{w}") for w in _WINDOWS},
                    "b_at": kept.last_at,
                }
                for rep_id, kept in sorted(by_rep.items())
            ],
        )


def _zones(session: Session, rep_ids: Collection[int]) -> dict[int, str]:
    """The reps' time zones: from the session for reps it holds (a rep is usually locked
    there to be given the customer), from one query for the rest (a history import)."""
    zones, missing = {}, []
    for rep_id in rep_ids:
        rep = session.identity_map.get(identity_key(Rep, rep_id))
        if isinstance(rep, Rep):
            zones[rep_id] = rep.time_zone
        else:
            missing.append(rep_id)
    if missing:
        r = t.reps.c
        found = session.execute(sa.select(r.id, r.time_zone).where(r.id.in_(missing)))
        zones.update({rep_id: zone for rep_id, zone in found})
    return zones


def recount(
    session: Session, *, now: datetime, rep_ids: Collection[int] | None = None
) -> dict[int, RepLoad]:
    """Each rep's load (of ``rep_ids``, or everyone's) counted from the records (customers
    and assignments): what the kept counters must say. For everyone it costs a scan of the
    open customers and a month of records."""
    c, a, r = t.customers.c, t.assignments.c, t.reps.c
    some: dict[Any, sa.ColumnElement[bool]] = {}
    if rep_ids is not None:
        wanted = sorted(set(rep_ids))
        some = {col: col.in_(wanted) for col in (r.id, c.owner_id, a.to_rep_id)}
    zones: dict[int, str] = dict(
        session.execute(sa.select(r.id, r.time_zone).where(some.get(r.id, sa.true()))).all()
    )
    held = {
        rep_id: (count, Decimal(value or 0))
        for rep_id, count, value in session.execute(
            sa.select(
                c.owner_id, sa.func.count(), sa.func.coalesce(sa.func.sum(c.expected_value), 0)
            )
            .where(
                c.owner_id.is_not(None),
                c.stage.in_(OPEN_STAGES),
                c.deleted_at.is_(None),
                some.get(c.owner_id, sa.true()),
            )
            .group_by(c.owner_id)
        )
    }
    received: dict[int, list[datetime]] = {}
    for rep_id, at in session.execute(
        sa.select(a.to_rep_id, a.at).where(
            a.to_rep_id.is_not(None),
            some.get(a.to_rep_id, sa.true()),
            a.at >= now - _RECOUNT_SPAN,
            sa.or_(a.from_rep_id.is_(None), a.from_rep_id != a.to_rep_id),
        )
    ):
        received.setdefault(rep_id, []).append(at)
    last = dict(
        session.execute(
            sa.select(a.to_rep_id, sa.func.max(a.at, type_=UtcDateTime()))
            .where(
                a.to_rep_id.is_not(None),
                some.get(a.to_rep_id, sa.true()),
                sa.or_(a.from_rep_id.is_(None), a.from_rep_id != a.to_rep_id),
            )
            .group_by(a.to_rep_id)
        ).all()
    )
    loads = {}
    for rep_id, zone_name in zones.items():
        count, value = held.get(rep_id, (0, Decimal(0)))
        day, week, month = intake(received.get(rep_id, ()), now, zone_name)
        loads[rep_id] = RepLoad(Usage(count, day, week, month), value, last.get(rep_id))
    return loads


def lock_all(session: Session) -> None:
    """Hold every rep's counters until commit, so a recount and its repair see no write
    in between (a write waiting on a counter row waits for the repair; on SQLite the
    write transaction already excludes every other writer)."""
    session.execute(sa.select(t.rep_loads.c.rep_id).with_for_update())


def store(session: Session, *, now: datetime, loads: Mapping[int, RepLoad]) -> None:
    """Overwrite the kept counters of these reps with ``loads`` (as of ``now``); a rep
    without a counter row (none should be) gets one."""
    zones = dict(
        session.execute(
            sa.select(t.reps.c.id, t.reps.c.time_zone).where(t.reps.c.id.in_(sorted(loads)))
        ).all()
    )
    rows = []
    for rep_id, load in sorted(loads.items()):
        if rep_id not in zones:
            continue
        current = periods(now, zones[rep_id])
        rows.append(
            {
                "s_rep": rep_id,
                "open_count": load.usage.open_count,
                "open_value": load.open_value,
                "day_start": current.day,
                "day_count": load.usage.received_day,
                "week_start": current.week,
                "week_count": load.usage.received_week,
                "month_start": current.month,
                "month_count": load.usage.received_month,
                "last_received_at": load.last_assigned_at,
            }
        )
    if not rows:
        return
    k = t.rep_loads.c
    present = set(
        session.scalars(sa.select(k.rep_id).where(k.rep_id.in_([row["s_rep"] for row in rows])))
    )
    missing = [{"rep_id": row["s_rep"]} for row in rows if row["s_rep"] not in present]
    if missing:
        session.execute(sa.insert(t.rep_loads), missing)
    session.execute(
        sa.update(t.rep_loads).where(k.rep_id == sa.bindparam("s_rep")),
        rows,
    )


@cache
def _read_statement(*, everyone: bool, dialect: str) -> sa.Select[Any]:
    """Built once. PostgreSQL: ``= ANY(:rep_ids)``, one array parameter, so the text is the
    same whatever the number of reps (prepared once; no IN list expanded per execution)."""
    k, r = t.rep_loads.c, t.reps.c
    statement = sa.select(
        k.rep_id,
        k.open_count,
        k.open_value,
        k.day_start,
        k.day_count,
        k.week_start,
        k.week_count,
        k.month_start,
        k.month_count,
        k.last_received_at,
        r.time_zone,
    ).join_from(t.rep_loads, t.reps, r.id == k.rep_id)
    if everyone:
        return statement
    if dialect == "postgresql":
        ids: sa.BindParameter[Any] = sa.bindparam("rep_ids", type_=ARRAY(sa.Integer()))
        return statement.where(k.rep_id == sa.any_(ids))
    return statement.where(k.rep_id.in_(sa.bindparam("rep_ids", expanding=True)))


@cache
def _bump_statement() -> sa.Update:
    """Add a write's intake to a rep's counters: a count of a later period replaces the
    kept one, of the same period adds to it, of an earlier period (a record dated in the
    past, e.g. imported history) leaves it."""
    k = t.rep_loads.c
    values: dict[str, Any] = {}
    for window in _WINDOWS:
        start, count = k[f"{window}_start"], k[f"{window}_count"]
        key = sa.bindparam(f"b_{window}", type_=sa.Date())
        added = sa.bindparam(f"b_in_{window}", type_=sa.Integer())
        later = sa.or_(start.is_(None), start < key)
        values[f"{window}_count"] = sa.case(
            (start == key, count + added), (later, added), else_=count
        )
        values[f"{window}_start"] = sa.case((later, key), else_=start)
    at = sa.bindparam("b_at", type_=UtcDateTime())
    values["last_received_at"] = sa.case(
        (sa.or_(k.last_received_at.is_(None), k.last_received_at < at), at),
        else_=k.last_received_at,
    )
    return sa.update(t.rep_loads).where(k.rep_id == sa.bindparam("b_rep")).values(values)
