"""The batch optimiser: give a batch of customers to reps so that the expected wins (or
won value) are greatest, within every rep's room, as a min-cost flow (OR-Tools).

The graph: source → each customer (capacity 1) → each rep eligible for it (capacity 1,
cost −weight) → sink (capacity: the rep's room in the batch). The solver finds the
largest flow, and among those the cheapest: **as many customers placed as the room
allows, then the greatest total weight**. A customer left out has no eligible rep with
room left (else the flow could grow), and falls back as its rule says.

Fairness bounds per rep: ``max_per_rep`` lowers the rep's room; ``min_per_rep`` is met
wherever the eligible customers allow it (a bonus on a rep's first ``min`` customers
worth more than any trade of weight), never at the cost of a customer placed. A bound
on a rep's share of expected value is not offered: min-cost flow cannot express it
exactly (it needs integer programming), and an approximation would not be a promise.

Weights are scaled to integers (the solver's costs): up to 10⁶ steps of the largest
weight, so the total is within n × 10⁻⁶ × max weight of the exact optimum (less, with
the scale reported in ``Solution.scale``, for very large batches with minimums).
Pure: arrays in, arrays out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
MAX_SCALE = 1_000_000
_COST_LIMIT = 1 << 62  # OR-Tools refuses costs whose magnitude × nodes overflows int64


@dataclass(frozen=True)
class Problem:
    """A batch as arrays. Arcs (one per eligible customer-rep pair) are given by their
    customer index (0..customers-1), rep index (0..reps-1) and weight (≥ 0: p(win), or
    p × value); ``room`` is how many more customers each rep may take (0 or more);
    ``min_per_rep`` / ``max_per_rep`` the optional fairness bounds, for every rep."""

    customers: int
    reps: int
    arc_customer: IntArray
    arc_rep: IntArray
    weight: FloatArray
    room: IntArray
    min_per_rep: int = 0
    max_per_rep: int | None = None

    def __post_init__(self) -> None:
        arcs = len(self.arc_customer)
        if len(self.arc_rep) != arcs or len(self.weight) != arcs:
            raise ValueError("arc_customer, arc_rep and weight must be as long as each other")
        if len(self.room) != self.reps:
            raise ValueError(f"room has {len(self.room)} entries for {self.reps} reps")
        if arcs and (self.arc_customer.min() < 0 or self.arc_customer.max() >= self.customers):
            raise ValueError("arc_customer holds an index outside 0..customers-1")
        if arcs and (self.arc_rep.min() < 0 or self.arc_rep.max() >= self.reps):
            raise ValueError("arc_rep holds an index outside 0..reps-1")
        if arcs and not np.all(np.isfinite(self.weight) & (self.weight >= 0)):
            raise ValueError("weight must be finite and ≥ 0")
        if len(self.room) and self.room.min() < 0:
            raise ValueError("room must be ≥ 0")
        if self.min_per_rep < 0 or (self.max_per_rep is not None and self.max_per_rep < 0):
            raise ValueError("min_per_rep and max_per_rep must be ≥ 0")


@dataclass(frozen=True)
class Solution:
    """Per customer the rep index it goes to (−1: not placed); the arc chosen for it
    (−1: none); the total weight placed; how many each rep got; whether the rep's room
    (after the max bound) was all used; the integer scale the weights were solved at."""

    rep_of: IntArray
    arc_of: IntArray
    objective: float
    taken: IntArray
    full: npt.NDArray[np.bool_]
    scale: int


def _scale(problem: Problem, nodes: int) -> tuple[int, int]:
    """The weight scale and the minimum bonus, both small enough for the solver."""
    if not problem.min_per_rep:
        return max(1, min(MAX_SCALE, _COST_LIMIT // (nodes + 1))), 0
    # The bonus outweighs every weight of the batch: n × scale + 1.
    scale = max(1, min(MAX_SCALE, _COST_LIMIT // ((nodes + 1) * (problem.customers + 1))))
    return scale, problem.customers * scale + 1


def solve(problem: Problem) -> Solution:
    """The placement of most customers with the greatest total weight, within every
    room and bound (see the module's notes)."""
    n, m = problem.customers, problem.reps
    arcs = len(problem.arc_customer)
    source, sink = n + m, n + m + 1
    scale, bonus = _scale(problem, n + m + 2)
    top = float(problem.weight.max()) if arcs else 0.0
    units = (
        np.rint(problem.weight * (scale / top)).astype(np.int64)
        if top > 0
        else np.zeros(arcs, dtype=np.int64)
    )
    room = problem.room.astype(np.int64)
    if problem.max_per_rep is not None:
        room = np.minimum(room, problem.max_per_rep)
    first = np.minimum(room, problem.min_per_rep)
    reps = np.arange(n, n + m, dtype=np.int32)
    tails = np.concatenate(
        [
            problem.arc_customer.astype(np.int32),
            np.full(n, source, dtype=np.int32),
            reps,
            reps,
        ]
    )
    heads = np.concatenate(
        [
            problem.arc_rep.astype(np.int32) + n,
            np.arange(n, dtype=np.int32),
            np.full(m, sink, dtype=np.int32),
            np.full(m, sink, dtype=np.int32),
        ]
    )
    capacities = np.concatenate([np.ones(arcs + n, dtype=np.int64), first, room - first])
    costs = np.concatenate(
        [-units, np.zeros(n, dtype=np.int64), np.full(m, -bonus, dtype=np.int64),
         np.zeros(m, dtype=np.int64)]
    )  # fmt: skip
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    supplies = np.zeros(n + m + 2, dtype=np.int64)
    supplies[source], supplies[sink] = n, -n
    flow.set_nodes_supplies(np.arange(n + m + 2, dtype=np.int32), supplies)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"the min-cost flow solver stopped with status {status}")
    used = flow.flows(np.arange(arcs, dtype=np.int32)) > 0
    chosen = np.flatnonzero(used)
    rep_of = np.full(n, -1, dtype=np.int64)
    arc_of = np.full(n, -1, dtype=np.int64)
    rep_of[problem.arc_customer[chosen]] = problem.arc_rep[chosen]
    arc_of[problem.arc_customer[chosen]] = chosen
    taken = np.bincount(problem.arc_rep[chosen], minlength=m).astype(np.int64)
    return Solution(
        rep_of=rep_of,
        arc_of=arc_of,
        objective=float(problem.weight[chosen].sum()),
        taken=taken,
        full=taken >= room,
        scale=scale,
    )
