"""Manual assignment: the full service (locks, capacity, record, audit) vs a bare UPDATE,
and 1 vs 8 concurrent clients."""

from __future__ import annotations

import statistics
import threading
import time

import sqlalchemy as sa

from bench._databases import fresh_fenpei, kinds
from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.services.assignments import assign
from fenpei.services.customers import create_customer
from fenpei.services.org import create_rep

CUSTOMERS = 600
REPS = 30


def _seed(fenpei: Fenpei) -> tuple[list[int], list[int]]:
    with fenpei.uow() as uow:
        reps = [
            create_rep(
                uow=uow,
                fields={"name": f"R{i}", "max_open": 1000, "max_per_day": 1000},
                actor=SYSTEM,
                now=fenpei.now(),
            )
            for i in range(REPS)
        ]
        customers = [
            create_customer(uow=uow, fields={"name": f"C{i}"}, actor=SYSTEM, now=fenpei.now())
            for i in range(CUSTOMERS)
        ]
        uow.commit()
    return [c.id for c in customers if c.id], [r.id for r in reps if r.id]


def _service(fenpei: Fenpei, pairs: list[tuple[int, int]], latencies: list[float]) -> None:
    for customer_id, rep_id in pairs:
        started = time.perf_counter()
        with fenpei.uow() as uow:
            assign(
                uow=uow,
                customer_id=customer_id,
                rep_id=rep_id,
                actor=SYSTEM,
                now=fenpei.now(),
                reason="bench",
            )
            uow.commit()
        latencies.append(time.perf_counter() - started)


def _bare(fenpei: Fenpei, pairs: list[tuple[int, int]]) -> float:
    started = time.perf_counter()
    for customer_id, rep_id in pairs:
        with fenpei.engine.begin() as connection:
            connection.execute(
                sa.update(t.customers)
                .where(t.customers.c.id == customer_id)
                .values(owner_id=rep_id)
            )
    return time.perf_counter() - started


def _concurrent(fenpei: Fenpei, pairs: list[tuple[int, int]], clients: int) -> float:
    latencies: list[float] = []
    chunks = [pairs[i::clients] for i in range(clients)]
    threads = [
        threading.Thread(target=_service, args=(fenpei, chunk, latencies)) for chunk in chunks
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(pairs) / (time.perf_counter() - started)


def run() -> None:
    print("\n== Manual assignment (capacity-checked, recorded, audited) ==")
    for kind in kinds():
        with fresh_fenpei(kind) as fenpei:
            customers, reps = _seed(fenpei)
            third = CUSTOMERS // 3
            first = [(c, reps[i % REPS]) for i, c in enumerate(customers[:third])]
            latencies: list[float] = []
            _service(fenpei, first, latencies)
            bare = _bare(
                fenpei,
                [(c, reps[(i + 1) % REPS]) for i, c in enumerate(customers[third : 2 * third])],
            )
            serial = len(first) / sum(latencies)
            rest = [(c, reps[i % REPS]) for i, c in enumerate(customers[2 * third :])]
            parallel = _concurrent(fenpei, rest, clients=8)
            fenpei.close()
        p50 = statistics.median(latencies) * 1000
        p99 = statistics.quantiles(latencies, n=100)[98] * 1000
        print(
            f"  {kind:8} service {serial:6.0f}/s (p50 {p50:.2f} ms, p99 {p99:.2f} ms) | "
            f"bare UPDATE {third / bare:6.0f}/s | service = {serial / (third / bare):.2f}x "
            f"of bare | 8 clients {parallel:6.0f}/s = {parallel / serial:.2f}x of 1 client"
        )
