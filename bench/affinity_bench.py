"""Scoring with the learned affinity, in the same run: (a) the base-rate model's p_win for
one customer and 50 reps (the cheapest model there is: the baseline); (b) the learned
affinity's p_win for the same; (c) its batch ``p_matrix`` for 10,000 customers × 50 reps
each, against 10,000 calls of (b). Reps: 1,000 in 20 teams, trained on a simulated random-
assignment history (tests/_sim_world.py)."""

from __future__ import annotations

import time

import numpy as np
from tests._sim_world import make_world

from fenpei.engine.scoring.loading import Prior
from fenpei.engine.scoring.training import train_affinity

ELIGIBLE = 50
BATCH = 10_000


def _per_call(work: object, repeat: int) -> float:
    assert callable(work)
    started = time.perf_counter()
    for _ in range(repeat):
        work()
    return (time.perf_counter() - started) / repeat


def run() -> None:
    world = make_world(seed=3, reps=1000, teams=20, history=60_000)
    started = time.perf_counter()
    model = train_affinity(world.history, world.team_of)
    trained = time.perf_counter() - started
    rng = np.random.default_rng(1)
    customers = world.customers(BATCH)
    eligible = [rng.choice(world.rep_ids, ELIGIBLE, replace=False).tolist() for _ in customers]
    prior = Prior(0.3)
    one, reps = customers[0], eligible[0]
    base = _per_call(lambda: prior.p_win(one, reps), 20_000)
    single = _per_call(lambda: model.p_win(one, reps), 5_000)
    started = time.perf_counter()
    for c, r in zip(customers, eligible, strict=True):
        model.p_win(c, r)
    loop = time.perf_counter() - started
    started = time.perf_counter()
    model.p_matrix(customers, eligible)
    batch = time.perf_counter() - started
    print(f"affinity: trained on {len(world.history):,} outcomes × 1,000 reps in {trained:.1f} s")
    print(f"  p_win, 1 customer × {ELIGIBLE} reps: {single * 1e6:.0f} µs "
          f"= {single / base:.1f}× the base-rate model's ({base * 1e6:.1f} µs)")  # fmt: skip
    print(f"  p_matrix, {BATCH:,} customers × {ELIGIBLE} reps: {batch * 1e3:.0f} ms")
    print(f"  = {loop / batch:.1f}× faster than {BATCH:,} p_win calls ({loop * 1e3:.0f} ms)")


if __name__ == "__main__":
    run()
