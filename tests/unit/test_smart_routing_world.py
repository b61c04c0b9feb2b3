"""A simulated world (reps with hidden strengths that interact with the customer's industry
and region; a history from random assignment; the truth known): how much of the oracle's
expected-conversion lift over round robin predicted_conversion and batch_optimal capture
when they route on p(win) *estimated from that history*, with capacities that bind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from random import Random

import numpy as np
import numpy.typing as npt
import pytest

from fenpei.domain.customers import Customer
from fenpei.engine.batch_routing import route_optimal
from fenpei.engine.bulk import route_many
from fenpei.engine.items import WorkItem
from fenpei.engine.model import Decision, Outcome, Target, TargetKind
from fenpei.engine.optimal import Problem, solve
from tests.unit.test_router import NOW, context, rep, rule

INDUSTRIES, REGIONS, REPS, CAPACITY = 6, 4, 30, 60
ARRIVING, HISTORY = 1500, 60_000
TEAM = Target(TargetKind.team, team_id=1)


def _cell(customer: WorkItem) -> tuple[int, int]:
    return int(str(customer.industry)[1:]), int(str(customer.region)[1:])


@dataclass
class TableAffinity:
    """p(win) by (industry, region) × rep: the truth, or an estimate of it."""

    table: npt.NDArray[np.float64]  # industry × region × rep (rep ids 1..REPS)
    algorithm: str = "table"

    def p_win(self, customer: WorkItem, rep_ids: Sequence[int]) -> dict[int, float]:
        i, r = _cell(customer)
        return {rep_id: float(self.table[i, r, rep_id - 1]) for rep_id in rep_ids}

    def p_dense(self, customers: Sequence[WorkItem], rep_ids: Sequence[int]) -> object:
        cells = np.array([_cell(c) for c in customers]).reshape(-1, 2)
        return self.table[cells[:, 0], cells[:, 1]][:, np.array(rep_ids) - 1]

    def factors(self, customer: WorkItem, rep_id: int, top: int = 3) -> Sequence[object]:
        return ()


def _world(seed: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The true p table, and the one learned from a random-assignment history: win rates
    per cell shrunk toward the rep's industry rate, itself shrunk toward the industry's."""
    rng = np.random.default_rng(seed)
    logit = (
        -1.4
        + rng.normal(0, 0.3, (INDUSTRIES, 1, 1))
        + rng.normal(0, 0.2, (1, REGIONS, 1))
        + rng.normal(0, 0.3, (1, 1, REPS))
        + rng.normal(0, 0.45, (INDUSTRIES, 1, REPS))  # a rep's industry strength
        + rng.normal(0, 0.25, (1, REGIONS, REPS))  # ... and region
    )
    truth = 1 / (1 + np.exp(-logit))
    ind = rng.integers(0, INDUSTRIES, HISTORY)
    reg = rng.integers(0, REGIONS, HISTORY)
    who = rng.integers(0, REPS, HISTORY)
    won = rng.random(HISTORY) < truth[ind, reg, who]
    shape = (INDUSTRIES, REGIONS, REPS)
    n, w = np.zeros(shape), np.zeros(shape)
    np.add.at(n, (ind, reg, who), 1)
    np.add.at(w, (ind, reg, who), won)
    industry_rate = (w.sum((1, 2)) / n.sum((1, 2)))[:, None]
    rep_n, rep_w = n.sum(1), w.sum(1)  # industry × rep
    rep_rate = (rep_w + 20 * industry_rate) / (rep_n + 20)
    learned = (w + 15 * rep_rate[:, None, :]) / (n + 15 * 1.0)
    return truth, learned


def _expected(
    decisions: Sequence[Decision], customers: Sequence[Customer], truth: npt.NDArray[np.float64]
) -> float:
    total = 0.0
    for decision, customer in zip(decisions, customers, strict=True):
        if decision.outcome is Outcome.assigned and decision.rep_id is not None:
            i, r = _cell(customer)
            total += truth[i, r, decision.rep_id - 1]
    return total


def _oracle(customers: Sequence[Customer], truth: npt.NDArray[np.float64]) -> float:
    cells = np.array([_cell(c) for c in customers])
    p = truth[cells[:, 0], cells[:, 1]]  # customers × reps
    solution = solve(
        Problem(
            customers=len(customers),
            reps=REPS,
            arc_customer=np.repeat(np.arange(len(customers)), REPS),
            arc_rep=np.tile(np.arange(REPS), len(customers)),
            weight=p.ravel(),
            room=np.full(REPS, CAPACITY),
        )
    )
    return solution.objective


def _gini(counts: Sequence[int]) -> float:
    x = np.sort(np.asarray(counts, dtype=float))
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_smart_strategies_capture_most_of_the_oracles_lift_within_capacity(seed: int) -> None:
    truth, learned = _world(seed)
    rng = np.random.default_rng(100 + seed)
    customers = [
        Customer(name=f"c{k}", industry=f"i{i}", region=f"r{r}")
        for k, (i, r) in enumerate(
            zip(
                rng.integers(0, INDUSTRIES, ARRIVING),
                rng.integers(0, REGIONS, ARRIVING),
                strict=True,
            )
        )
    ]
    reps = [rep(k, f"R{k}", team_id=1, max_open=CAPACITY) for k in range(1, REPS + 1)]
    estimate = TableAffinity(learned)

    def run(strategy: str, batch: bool) -> list[Decision]:
        ctx = context([rule(1, target=TEAM, strategy=strategy)], reps, affinity=estimate)
        routing = route_optimal if batch else route_many
        return routing(customers, ctx, now=NOW, rng=Random(seed))

    made = {
        "round_robin": run("round_robin", False),
        "predicted_conversion": run("predicted_conversion", False),
        "batch_optimal": run("batch_optimal", True),
    }
    wins = {name: _expected(d, customers, truth) for name, d in made.items()}
    oracle = _oracle(customers, truth)
    lift = oracle - wins["round_robin"]
    capture = {name: (wins[name] - wins["round_robin"]) / lift for name in made}
    loads = {name: Counter(x.rep_id for x in d) for name, d in made.items()}
    gini = {name: _gini([loads[name].get(k, 0) for k in range(1, REPS + 1)]) for name in made}
    print(
        f"\nseed {seed}: oracle lift over round robin {lift / wins['round_robin']:.1%}; "
        + "; ".join(
            f"{name} captures {capture[name]:.0%} (Gini {gini[name]:.3f})"
            for name in ("predicted_conversion", "batch_optimal")
        )
        + f"; round robin Gini {gini['round_robin']:.3f}"
    )

    for name, decisions in made.items():
        assert all(d.outcome is Outcome.assigned for d in decisions), name
        assert max(loads[name].values()) <= CAPACITY, f"{name} breached a capacity"
    assert lift / wins["round_robin"] > 0.2  # a world where routing matters
    assert capture["batch_optimal"] >= 0.8
    assert capture["predicted_conversion"] >= 0.65
