"""Scoring: what the rescore hook adds to the Maven import (with a 20-line scorecard and a
score model active, against none active, same run), and the rescore-all catch-up's
customers/s end to end (batches read, scored, written) against scoring the same customers
in memory with the engine alone."""

from __future__ import annotations

import time

from bench._databases import fresh_fenpei, kinds
from fenpei.adapters.maven import read_maven
from fenpei.bootstrap import Fenpei
from fenpei.cli.imports import BUNDLED_MAVEN
from fenpei.domain.customers import Customer
from fenpei.domain.scoring import ModelKind
from fenpei.domain.users import SYSTEM
from fenpei.engine.scoring.scorecard import build_scorecard
from fenpei.services.maven_import import MavenData, import_maven
from fenpei.services.scoring import models
from fenpei.services.scoring.rescore import rescore_stale

INDUSTRIES = ("retail", "software", "medical", "finance", "technolgy", "marketing", "services")
LINES = [
    *({"label": f"industry {i}", "points": 5 + n,
       "conditions": {"field": "industry", "op": "eq", "value": i}}
      for n, i in enumerate(INDUSTRIES)),
    *({"label": f"employees ≥ {size}", "points": 3,
       "conditions": {"field": "employees", "op": "gte", "value": size}}
      for size in (100, 500, 1000, 5000, 10000)),
    *({"label": f"region {r}", "points": 4,
       "conditions": {"field": "region", "op": "in", "value": [r]}}
      for r in ("Central", "East", "West")),
    *({"label": f"stage {s}", "points": 10,
       "conditions": {"field": "stage", "op": "eq", "value": s}}
      for s in ("won", "contacted", "qualified", "lost", "new")),
]  # fmt: skip


def _activate(fenpei: Fenpei) -> None:
    with fenpei.uow() as uow:
        now = fenpei.now()
        card, _ = models.save_scorecard(uow=uow, actor=SYSTEM, name="bench", lines=LINES, now=now)
        models.activate(uow=uow, actor=SYSTEM, model_id=card.id or 0, now=now)
        learned = models.add_version(
            uow=uow, actor=SYSTEM, kind=ModelKind.score, name="prior", now=now,
            params={"algorithm": "prior", "p": 0.4},
        )  # fmt: skip
        models.activate(uow=uow, actor=SYSTEM, model_id=learned.id or 0, now=now)
        uow.commit()


def _import(fenpei: Fenpei, data: MavenData) -> float:
    started = time.perf_counter()
    with fenpei.uow() as uow:
        import_maven(uow=uow, data=data, actor=SYSTEM, now=fenpei.now())
        uow.commit()
    return time.perf_counter() - started


def _in_memory(customers: list[Customer]) -> float:
    card = build_scorecard({"algorithm": "scorecard", "lines": LINES})
    started = time.perf_counter()
    for customer in customers:
        card.points(customer)
    return time.perf_counter() - started


def run() -> None:
    print("\n== Scoring: the rescore hook on the Maven import; rescore-all end to end ==")
    data = read_maven(BUNDLED_MAVEN)
    for kind in kinds():
        with fresh_fenpei(kind) as plain:
            without = _import(plain, data)
        with fresh_fenpei(kind) as scored:
            _activate(scored)
            with_hook = _import(scored, data)
        with fresh_fenpei(kind) as fenpei:
            _import(fenpei, data)
            with fenpei.uow() as uow:
                customers = uow.score_models.stale_customers(before=None, after_id=0, limit=10**6)
            pure = _in_memory(customers)
            _activate(fenpei)
            started = time.perf_counter()
            looked, _ = rescore_stale(uow_factory=fenpei.uow, now=fenpei.now)
            catch_up = time.perf_counter() - started
        print(
            f"  {kind:8} Maven import {without:5.2f} s plain, {with_hook:5.2f} s scored "
            f"(×{with_hook / without:.2f}) | rescore-all {looked:,} customers "
            f"{looked / catch_up:7.0f}/s, ×{catch_up / pure:.0f} the engine alone "
            f"({len(customers) / pure:9.0f}/s)"
        )
