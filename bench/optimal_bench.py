"""batch_optimal: 10,000 customers × 1,000 reps (20 teams of 50; each customer's rule
names one team: ~50 eligible each), with p(win) from a vectorised affinity table.

(1) End to end in the engine — rules, eligibility, p(win), graph, solve, decisions
    (``route_optimal``) — against the raw solver (``optimal.solve``, graph build and
    min-cost flow) on the same graphs, prepared beforehand, in the same run (goal ≤ 2×).
(2) The same batch through the service on SQLite — locks, loads, ``route_optimal`` and
    every assignment persisted (owner, record, event, audit, SLA clock) in one
    transaction — against the same raw solver time.
(3) The objective against the LP optimum (HiGHS via ``scipy.optimize.linprog``) on a
    smaller case: min-cost flow is exact, so the gap should be rounding (goal ≤ 0.1%).

``--quick`` runs a tenth of the size (1,000 × 100) and skips the database."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from random import Random
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import linprog  # type: ignore[import-untyped]
from scipy.sparse import coo_matrix, vstack  # type: ignore[import-untyped]

from bench._databases import fresh_fenpei
from fenpei.domain.customers import Customer
from fenpei.domain.org import Rep
from fenpei.domain.scoring import ModelKind, ScoreModel
from fenpei.domain.users import SYSTEM
from fenpei.engine.batch_routing import route_optimal
from fenpei.engine.capacity import Usage
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.fields import field_catalog
from fenpei.engine.items import WorkItem
from fenpei.engine.model import Outcome, RepState, RoutingRule, Target, TargetKind
from fenpei.engine.optimal import Problem, solve
from fenpei.engine.router import CompiledRule, RoutingContext, match
from fenpei.engine.scoring import loading
from fenpei.engine.scoring.contract import Contribution
from fenpei.services import org, routing_batch, rules
from fenpei.services.customers import create_customer
from fenpei.services.routing_batch import route_customers

NOW_SEED = 15
TEAMS, SEGMENTS = 20, 8
CATALOG = field_catalog()


@dataclass(frozen=True)
class Size:
    customers: int
    reps: int  # in TEAMS teams of reps // TEAMS
    capacity: int  # max_open of every rep: the batch fills about two thirds


FULL, QUICK = Size(10_000, 1_000, 15), Size(1_000, 100, 15)


@dataclass
class SegmentAffinity:
    """p(win) by the customer's segment (its ``industry``) × rep: a table, vectorised."""

    table: npt.NDArray[np.float64]  # segment × rep id (0 unused)
    algorithm: str = "bench_table"

    def p_win(self, customer: WorkItem, rep_ids: Sequence[int]) -> Mapping[int, float]:
        row = self.table[_segment(customer)]
        return {rep_id: float(row[rep_id]) for rep_id in rep_ids}

    def p_dense(
        self, customers: Sequence[WorkItem], rep_ids: Sequence[int]
    ) -> npt.NDArray[np.float64]:
        segments = np.fromiter((_segment(c) for c in customers), dtype=np.intp)
        return self.table[np.ix_(segments, np.asarray(rep_ids, dtype=np.intp))]

    def factors(self, customer: WorkItem, rep_id: int, top: int = 3) -> Sequence[Contribution]:
        return ()


def _segment(customer: WorkItem) -> int:
    return int(str(customer.industry)[1:])


def _table(reps: int, seed: int) -> npt.NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.05, 0.6, size=(SEGMENTS, reps + 1))


def _load_table(params: Mapping[str, Any]) -> SegmentAffinity:
    return SegmentAffinity(_table(int(params["reps"]), int(params["seed"])))


def _world(size: Size) -> tuple[RoutingContext, list[Customer]]:
    per_team = size.reps // TEAMS
    reps = {
        i: RepState(
            rep=Rep(name=f"R{i}", id=i, team_id=1 + (i - 1) // per_team, max_open=size.capacity),
            usage=Usage(0),
        )
        for i in range(1, size.reps + 1)
    }
    rules = [
        CompiledRule(
            RoutingRule(
                id=team,
                name=f"Region {team}",
                priority=team,
                conditions=(tree := {"field": "region", "op": "eq", "value": f"G{team}"}),
                target=Target(TargetKind.team, team_id=team),
                strategy="batch_optimal",
            ),
            compile_conditions(parse_conditions(tree, CATALOG)),
        )
        for team in range(1, TEAMS + 1)
    ]
    rng = Random(NOW_SEED)
    customers = [
        Customer(
            id=k + 1,
            name=f"C{k}",
            region=f"G{rng.randint(1, TEAMS)}",
            industry=f"s{rng.randrange(SEGMENTS)}",
        )
        for k in range(size.customers)
    ]
    affinity = SegmentAffinity(_table(size.reps, NOW_SEED))
    return RoutingContext(rules=rules, reps=reps, affinity=affinity), customers


def _problems(ctx: RoutingContext, customers: Sequence[Customer]) -> list[Problem]:
    """The graphs route_optimal solves (one per rule), built beforehand for the raw solver."""
    now = _NOW
    groups: dict[int, list[tuple[Customer, tuple[int, ...]]]] = {}
    for customer in customers:
        found = match(customer, ctx, now=now)
        assert found.rule is not None
        groups.setdefault(found.rule.id, []).append((customer, tuple(s.id for s in found.eligible)))
    affinity = ctx.affinity
    assert isinstance(affinity, SegmentAffinity)
    problems = []
    for members in groups.values():
        rep_ids = sorted({r for _, ids in members for r in ids})
        column = {r: k for k, r in enumerate(rep_ids)}
        p = affinity.p_dense([c for c, _ in members], rep_ids)
        tails = np.concatenate([np.full(len(ids), row) for row, (_, ids) in enumerate(members)])
        heads = np.concatenate([[column[r] for r in ids] for _, ids in members]).astype(np.int64)
        room = np.array([ctx.reps[r].rep.max_open or 0 for r in rep_ids], dtype=np.int64)
        problems.append(Problem(len(members), len(rep_ids), tails, heads, p[tails, heads], room))
    return problems


_NOW = datetime(2026, 12, 7, 2, tzinfo=UTC)


def _timed(work: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    done = work(*args, **kwargs)
    return time.perf_counter() - started, done


def _raw(problems: Sequence[Problem]) -> tuple[float, float]:
    started = time.perf_counter()
    total = sum(solve(problem).objective for problem in problems)
    return time.perf_counter() - started, total


def engine(size: Size) -> float:
    """End to end in the engine against the raw solver (each the best of three runs);
    returns the raw solver's time."""
    ctx, customers = _world(size)
    problems = _problems(ctx, customers)
    arcs = sum(len(p.arc_customer) for p in problems)
    raw, raw_total = min(_raw(problems) for _ in range(3))
    whole, decisions = min(
        (_timed(route_optimal, customers, ctx, now=_NOW, rng=Random(1)) for _ in range(3)),
        key=lambda timed: timed[0],
    )
    placed = [d for d in decisions if d.outcome is Outcome.assigned]
    total = sum(float(d.reason_params["p"]) for d in placed)
    loads: dict[int, int] = {}
    for d in placed:
        assert d.rep_id is not None
        loads[d.rep_id] = loads.get(d.rep_id, 0) + 1
    breaches = sum(n > size.capacity for n in loads.values())
    print(
        f"  engine   {size.customers:,} customers × {size.reps:,} reps, {arcs:,} arcs: "
        f"route_optimal {whole:5.2f} s vs raw solver {raw:5.2f} s = {whole / raw:4.1f}x "
        f"(goal ≤ 2x) | placed {len(placed):,}, capacity breaches {breaches}, "
        f"objective {total:,.2f} = raw {raw_total:,.2f}"
    )
    return raw


def persisted(size: Size, raw: float) -> None:
    """The same batch through route_customers on SQLite: every assignment written."""
    loading.ALGORITHMS.setdefault("bench_table", _load_table)
    ctx, customers = _world(size)
    with fresh_fenpei("sqlite") as fenpei:
        now = fenpei.now()
        with fenpei.uow() as uow:
            teams = [
                org.create_team(uow=uow, name=f"T{i}", actor=SYSTEM, now=now).id
                for i in range(1, TEAMS + 1)
            ]
            for state in sorted(ctx.reps.values(), key=lambda s: s.id):
                org.create_rep(
                    uow=uow,
                    actor=SYSTEM,
                    now=now,
                    fields={
                        "name": state.rep.name,
                        "team_id": teams[(state.rep.team_id or 1) - 1],
                        "max_open": size.capacity,
                    },
                )
            for team, team_id in enumerate(teams, start=1):
                rules.create_rule(
                    uow=uow,
                    actor=SYSTEM,
                    now=now,
                    fields={
                        "name": f"Region {team}",
                        "strategy": "batch_optimal",
                        "conditions": {"field": "region", "op": "eq", "value": f"G{team}"},
                        "target": {"kind": "team", "team_id": team_id},
                    },
                )
            ids = [
                create_customer(
                    uow=uow,
                    actor=SYSTEM,
                    now=now,
                    fields={"name": c.name, "region": c.region, "industry": c.industry},
                ).id
                or 0
                for c in customers
            ]
            model = ScoreModel(
                kind=ModelKind.affinity,
                version=1,
                name="bench",
                params={"algorithm": "bench_table", "reps": size.reps, "seed": NOW_SEED},
            )
            uow.score_models.add(model)
            uow.score_models.activate(model, at=now)
            uow.commit()
        # The engine's share of the transaction, timed where route_batch calls it.
        inside: list[float] = []
        solver = routing_batch.route_optimal

        def timed_solver(*args: Any, **kwargs: Any) -> Any:
            spent, done = _timed(solver, *args, **kwargs)
            inside.append(spent)
            return done

        routing_batch.route_optimal = timed_solver  # type: ignore[assignment]
        started = time.perf_counter()
        outcomes = route_customers(
            uow_factory=fenpei.uow,
            rulebook=fenpei.rulebook,
            customer_ids=ids,
            actor=SYSTEM,
            now=fenpei.now,
            rng=Random(1),
            batch_size=size.customers,
        )
        whole = time.perf_counter() - started
        routing_batch.route_optimal = solver  # type: ignore[assignment]
        fenpei.close()
    engine_part = sum(inside)
    print(
        f"  sqlite   the same batch routed and persisted in one transaction {whole:5.2f} s "
        f"= {whole / raw:4.1f}x the raw solver ({outcomes['assigned']:,} assigned): "
        f"route_optimal {engine_part:5.2f} s ({engine_part / raw:.1f}x raw), locks, loads and "
        f"recording (owner, record, event, audit, SLA clock) {whole - engine_part:5.2f} s"
    )


def against_lp(customers: int, reps: int, eligible: int, seed: int = 3) -> float:
    """The flow's objective over HiGHS's LP optimum for the same case (1.0: the same)."""
    rng = np.random.default_rng(seed)
    tails = np.repeat(np.arange(customers), eligible)
    heads = np.concatenate([rng.choice(reps, eligible, replace=False) for _ in range(customers)])
    weight = rng.uniform(0.05, 0.6, size=len(tails))
    room = rng.integers(1, 2 * customers // reps + 2, size=reps)
    solution = solve(Problem(customers, reps, tails, heads, weight, room))
    placed = int((solution.rep_of >= 0).sum())
    arcs = len(tails)
    per_customer = coo_matrix((np.ones(arcs), (tails, np.arange(arcs))), shape=(customers, arcs))
    per_rep = coo_matrix((np.ones(arcs), (heads, np.arange(arcs))), shape=(reps, arcs))
    # The flow places as many as it can first; the LP is asked the same: that many placed.
    result = linprog(
        -weight,
        A_ub=vstack([per_customer, per_rep]).tocsr(),
        b_ub=np.concatenate([np.ones(customers), room]),
        A_eq=np.ones((1, arcs)),
        b_eq=[placed],
        bounds=(0, 1),
        method="highs",
    )
    assert result.status == 0, result.message
    lp = -float(result.fun)
    print(
        f"  LP       {customers:,} customers × {reps} reps, {eligible} eligible each: flow "
        f"{solution.objective:,.4f} / HiGHS LP {lp:,.4f} = {solution.objective / lp:.6f} "
        f"(gap {abs(1 - solution.objective / lp):.2e}, goal ≤ 1e-3)"
    )
    return solution.objective / lp


def run(quick: bool = False) -> None:
    size = QUICK if quick else FULL
    print(f"\n== batch_optimal: {size.customers:,} customers × {size.reps:,} reps ==")
    raw = engine(size)
    if not quick:
        persisted(size, raw)
    against_lp(*((300, 30, 10) if quick else (2_000, 200, 20)))
