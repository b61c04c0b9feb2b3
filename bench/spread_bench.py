"""Spreading 1,000 customers over three reps through the services, in the same run:
(a) 1,000 single ``assign`` calls, one transaction each (the baseline: what one-by-one work
through the same service costs); (b) ``bulk_assign`` with the 1,000 ids (the ticked-rows
path); (c) ``assign_matching`` with a filter matching the 1,000 (select all N matching:
counted and applied on the server). Each path locks, checks capacity and writes the record,
its event and its audit entry per customer; figures are ratios against (a)."""

from __future__ import annotations

import time
from itertools import cycle

from bench._databases import fresh_fenpei, kinds
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.services.assignments import assign, bulk_assign
from fenpei.services.bulk_matching import assign_matching
from fenpei.services.customers import create_customer
from fenpei.services.org import create_rep
from fenpei.services.ports import CustomerQuery

SPREAD = 1_000
REPS = 3
REGIONS = ("single", "ids", "filter")


def _seed(fenpei: Fenpei) -> tuple[dict[str, list[int]], list[int]]:
    with fenpei.uow() as uow:
        reps = [
            create_rep(uow=uow, fields={"name": f"R{i}"}, actor=SYSTEM, now=fenpei.now())
            for i in range(REPS)
        ]
        made = {
            region: [
                create_customer(
                    uow=uow,
                    fields={"name": f"C{region}{i}", "region": region},
                    actor=SYSTEM,
                    now=fenpei.now(),
                )
                for i in range(SPREAD)
            ]
            for region in REGIONS
        }
        uow.commit()
    ids = {region: [c.id for c in found if c.id] for region, found in made.items()}
    return ids, [r.id for r in reps if r.id]


def _singles(fenpei: Fenpei, customers: list[int], reps: list[int]) -> float:
    started = time.perf_counter()
    for customer_id, rep_id in zip(customers, cycle(reps), strict=False):
        with fenpei.uow() as uow:
            assign(uow=uow, customer_id=customer_id, rep_id=rep_id, actor=SYSTEM, now=fenpei.now())
            uow.commit()
    return time.perf_counter() - started


def _by_ids(fenpei: Fenpei, customers: list[int], reps: list[int]) -> float:
    started = time.perf_counter()
    with fenpei.uow() as uow:
        done = bulk_assign(
            uow=uow, customer_ids=customers, rep_ids=reps, actor=SYSTEM, now=fenpei.now()
        )
        uow.commit()
    assert len(done) == SPREAD
    return time.perf_counter() - started


def _by_filter(fenpei: Fenpei, reps: list[int]) -> float:
    started = time.perf_counter()
    with fenpei.uow() as uow:
        result = assign_matching(
            uow=uow,
            query=CustomerQuery(region="filter"),
            rep_ids=reps,
            actor=SYSTEM,
            now=fenpei.now(),
            expected=SPREAD,
        )
        uow.commit()
    assert result.moved == SPREAD
    return time.perf_counter() - started


def run() -> None:
    print(f"\n== Spreading {SPREAD:,} customers over {REPS} reps (locked, checked, recorded) ==")
    for kind in kinds():
        with fresh_fenpei(kind) as fenpei:
            customers, reps = _seed(fenpei)
            single = _singles(fenpei, customers["single"], reps)
            ids = _by_ids(fenpei, customers["ids"], reps)
            matching = _by_filter(fenpei, reps)
            fenpei.close()
        print(
            f"  {kind:8} 1,000 single assigns {single:6.2f} s ({single / SPREAD * 1e3:.2f} ms "
            f"each) | bulk by ids {ids:5.2f} s = {single / ids:5.1f}x faster | all matching "
            f"a filter {matching:5.2f} s = {single / matching:5.1f}x faster, "
            f"{matching / ids:.2f}x of by ids"
        )
