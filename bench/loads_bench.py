"""Reading a team's load: the kept counters (one row per rep) against the aggregate query
every decision ran before issue 11 (copied here as the baseline), as the team holds more.

A team of 10 reps holding 100, 10,000 and 100,000 open customers, with as many assignment
records in the last month; the read is what a decision does for its candidate reps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from bench._databases import fresh_fenpei, kinds
from fenpei.adapters.db import tables as t
from fenpei.adapters.db.types import UtcDateTime
from fenpei.bootstrap import Fenpei
from fenpei.domain.customers import OPEN_STAGES
from fenpei.domain.users import SYSTEM
from fenpei.services.loads import check_loads
from fenpei.services.org import create_rep

TEAM = 10
HELD = (100, 10_000, 100_000)
READS = 200


def _grow(fenpei: Fenpei, reps: list[int], held: int, to: int) -> None:
    """Give the team open customers (and their month's assignment records) up to ``to``."""
    now = fenpei.now()
    with fenpei.engine.begin() as connection:
        start = connection.scalar(sa.select(sa.func.max(t.customers.c.id))) or 0
        rows: list[dict[str, Any]] = [
            {
                "id": start + n + 1,
                "name": f"C{held + n}",
                "stage": "new",
                "owner_id": reps[n % len(reps)],
                "tags": [],
                "custom": {},
                "created_at": now,
                "updated_at": now,
            }
            for n in range(to - held)
        ]
        for first in range(0, len(rows), 5_000):
            connection.execute(sa.insert(t.customers), rows[first : first + 5_000])
        records = [
            {
                "customer_id": row["id"],
                "to_rep_id": row["owner_id"],
                "method": "rule",
                "explanation": {},
                "capacity_override": False,
                "actor": "bench",
                "at": now - timedelta(hours=n % (24 * 28)),
            }
            for n, row in enumerate(rows)
        ]
        for first in range(0, len(records), 5_000):
            connection.execute(sa.insert(t.assignments), records[first : first + 5_000])
    # The records went in by plain INSERTs, as a bulk load would: count their intake in.
    with fenpei.uow() as uow:
        check_loads(uow=uow, now=now, repair=True)
        uow.commit()


@cache
def aggregate_statement(dialect: str) -> sa.Select[Any]:
    """The load query every decision ran before issue 11, as it was (rolling windows):
    open customers and a month of assignment records, aggregated for the asked reps."""
    c, a, r = t.customers.c, t.assignments.c, t.reps.c
    # PostgreSQL: ``= ANY(:rep_ids)``, one array parameter, so the text is the same whatever
    # the number of reps (psycopg prepares it once; no IN list expanded per execution).
    rep_ids_array: ARRAY[int] = ARRAY(sa.Integer())
    ids: sa.BindParameter[Any] = (
        sa.bindparam("rep_ids", type_=rep_ids_array)
        if dialect == "postgresql"
        else sa.bindparam("rep_ids", expanding=True)
    )

    def among(column: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
        return column == sa.any_(ids) if dialect == "postgresql" else column.in_(ids)

    day, week, month = (
        sa.bindparam(name, type_=UtcDateTime()) for name in ("day", "week", "month")
    )
    held = (
        sa.select(
            c.owner_id.label("rep_id"),
            sa.func.count().label("open_count"),
            sa.func.coalesce(sa.func.sum(c.expected_value), 0).label("open_value"),
        )
        .where(
            among(c.owner_id),
            c.stage.in_(OPEN_STAGES),
            c.deleted_at.is_(None),
        )
        .group_by(c.owner_id)
        .subquery("held")
    )
    received = (
        sa.select(
            a.to_rep_id.label("rep_id"),
            sa.func.count().filter(a.at >= day).label("day"),
            sa.func.count().filter(a.at >= week).label("week"),
            sa.func.count().label("month"),
            sa.func.max(a.at, type_=UtcDateTime()).label("last_at"),
        )
        .where(
            among(a.to_rep_id),
            a.at >= month,
            sa.or_(a.from_rep_id.is_(None), a.from_rep_id != a.to_rep_id),
        )
        .group_by(a.to_rep_id)
        .subquery("received")
    )
    return (
        sa.select(
            r.id,
            held.c.open_count,
            held.c.open_value,
            received.c.day,
            received.c.week,
            received.c.month,
            received.c.last_at,
        )
        .outerjoin(held, held.c.rep_id == r.id)
        .outerjoin(received, received.c.rep_id == r.id)
        .where(among(r.id))
    )


def aggregated(connection: sa.Connection, now: datetime, rep_ids: list[int]) -> list[Any]:
    day, week, month = now - timedelta(days=1), now - timedelta(days=7), now - timedelta(days=30)
    params = {"day": day, "week": week, "month": month, "rep_ids": rep_ids}
    return list(connection.execute(aggregate_statement(connection.dialect.name), params))


def _per_read(read: Callable[[], object]) -> float:
    """Seconds per call: the best of three rounds of at least 0.3 s (or 200 calls)."""
    best = float("inf")
    for _ in range(3):
        calls, started = 0, time.perf_counter()
        while calls < READS and (calls == 0 or time.perf_counter() - started < 0.3):
            read()
            calls += 1
        best = min(best, (time.perf_counter() - started) / calls)
    return best


def run() -> None:
    print("\n== Loads: reading a 10-rep team's load as it holds more ==")
    print(
        f"   {'db':>8} {'held':>8} | {'kept counters':>14} | {'aggregate (before)':>18} "
        f"{'ratio':>7}"
    )
    for kind in kinds():
        with fresh_fenpei(kind) as fenpei:
            with fenpei.uow() as uow:
                reps = [
                    create_rep(uow=uow, fields={"name": f"R{i}"}, actor=SYSTEM, now=fenpei.now()).id
                    or 0
                    for i in range(TEAM)
                ]
                uow.commit()
            held = 0
            for size in HELD:
                _grow(fenpei, reps, held, size)
                held = size
                with fenpei.uow(read_only=True) as uow, fenpei.engine.connect() as connection:
                    now, routing = fenpei.now(), uow.routing
                    kept = _per_read(partial(routing.loads, now=now, rep_ids=reps))
                    counted = _per_read(partial(aggregated, connection, now, reps))
                    same = routing.loads(now=now, rep_ids=reps) == routing.recount_loads(
                        now=now, rep_ids=reps
                    )
                assert same, "the kept counters must say what the records say"
                print(
                    f"   {kind:>8} {size:>8,} | {kept * 1e3:11.3f} ms | {counted * 1e3:15.3f} ms "
                    f"{counted / kept:6.0f}x"
                )
            fenpei.close()


if __name__ == "__main__":
    run()
