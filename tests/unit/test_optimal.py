"""The batch optimiser: the most customers placed, then the most expected wins, within
every rep's room and the fairness bounds; checked against brute force on tiny cases."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest

from fenpei.engine.optimal import Problem, solve


def _problem(
    p: list[list[float | None]],
    room: list[int],
    *,
    low: int = 0,
    high: int | None = None,
) -> Problem:
    """``p[customer][rep]``: None where the rep is not eligible for the customer."""
    arcs = [(c, r, w) for c, row in enumerate(p) for r, w in enumerate(row) if w is not None]
    return Problem(
        customers=len(p),
        reps=len(room),
        arc_customer=np.array([a[0] for a in arcs], dtype=np.int64),
        arc_rep=np.array([a[1] for a in arcs], dtype=np.int64),
        weight=np.array([a[2] for a in arcs], dtype=np.float64),
        room=np.array(room, dtype=np.int64),
        min_per_rep=low,
        max_per_rep=high,
    )


def _brute(
    p: list[list[float | None]], room: list[int], low: int = 0, high: int | None = None
) -> tuple[int, int, float]:
    """(placed, reps short of the minimum, −total): the best by the optimiser's order."""
    best: tuple[int, int, float] | None = None
    for plan in product(*[[None, *range(len(room))] for _ in p]):
        taken = [0] * len(room)
        ok = True
        for c, r in enumerate(plan):
            if r is None:
                continue
            if p[c][r] is None:
                ok = False
                break
            taken[r] += 1
        caps = [min(x, high) if high is not None else x for x in room]
        if not ok or any(t > cap for t, cap in zip(taken, caps, strict=True)):
            continue
        placed = sum(r is not None for r in plan)
        short = sum(max(0, min(low, cap) - t) for t, cap in zip(taken, caps, strict=True))
        total = sum(p[c][r] for c, r in enumerate(plan) if r is not None)  # type: ignore[misc]
        key = (-placed, short, -total)
        if best is None or key < best:
            best = key
    assert best is not None
    return -best[0], best[1], -best[2]


def test_the_best_rep_goes_to_whom_it_gains_most_when_it_is_full() -> None:
    # Alice is best for both, with room for one: she takes the customer she wins most
    # more often than Bob would (0.9 vs 0.2 beats 0.6 vs 0.5).
    solution = solve(_problem([[0.9, 0.2], [0.6, 0.5]], room=[1, 5]))

    assert solution.rep_of.tolist() == [0, 1]
    assert solution.objective == pytest.approx(1.4)
    assert solution.full.tolist() == [True, False]


def test_placing_everyone_comes_before_expected_wins() -> None:
    # Max weight alone would give Alice the 0.9 customer and leave the other unplaced.
    solution = solve(_problem([[0.9, 0.1], [0.1, None]], room=[1, 1]))

    assert solution.rep_of.tolist() == [1, 0]


def test_a_customer_nobody_has_room_for_is_left_out() -> None:
    solution = solve(_problem([[0.5], [0.7], [0.2]], room=[2]))

    assert sorted(solution.rep_of.tolist()) == [-1, 0, 0]
    assert solution.rep_of[2] == -1  # the least likely one waits
    assert solution.taken.tolist() == [2]


def test_bounds_per_rep_cap_and_spread_the_batch() -> None:
    p: list[list[float | None]] = [[0.9, 0.1, 0.1]] * 4
    capped = solve(_problem(p, room=[10, 10, 10], high=2))
    spread = solve(_problem(p, room=[10, 10, 10], low=1))

    assert capped.taken.max() <= 2 and (capped.rep_of >= 0).all()
    assert spread.taken.tolist() == [2, 1, 1]


def test_an_unmeetable_minimum_is_met_as_far_as_it_can_be() -> None:
    # Nobody is eligible for rep 2: its minimum cannot be met, the rest still is.
    solution = solve(_problem([[0.5, 0.4, None], [0.5, 0.4, None]], room=[5, 5, 5], low=1))

    assert solution.taken.tolist() == [1, 1, 0]


@pytest.mark.parametrize("seed", range(40))
def test_tiny_batches_match_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    customers, reps = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    p: list[list[float | None]] = [
        [round(float(rng.random()), 3) if rng.random() < 0.7 else None for _ in range(reps)]
        for _ in range(customers)
    ]
    room = [int(x) for x in rng.integers(0, 3, size=reps)]
    low = int(rng.integers(0, 2))
    high = None if rng.random() < 0.5 else int(rng.integers(0, 3))

    solution = solve(_problem(p, room, low=low, high=high))
    placed, short, total = _brute(p, room, low, high)

    caps = [min(x, high) if high is not None else x for x in room]
    assert all(t <= cap for t, cap in zip(solution.taken.tolist(), caps, strict=True))
    for c, r in enumerate(solution.rep_of.tolist()):
        assert r == -1 or p[c][r] is not None  # only eligible pairs
    assert int((solution.rep_of >= 0).sum()) == placed
    got_short = sum(
        max(0, min(low, cap) - t) for t, cap in zip(solution.taken.tolist(), caps, strict=True)
    )
    assert got_short == short
    assert solution.objective == pytest.approx(total, abs=1e-5)


def test_bad_arrays_are_refused_naming_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="room has 1 entries for 2 reps"):
        Problem(1, 2, np.array([0]), np.array([0]), np.array([0.5]), np.array([1]))
    with pytest.raises(ValueError, match="weight must be finite"):
        Problem(1, 1, np.array([0]), np.array([0]), np.array([np.nan]), np.array([1]))
    with pytest.raises(ValueError, match="arc_rep holds an index"):
        Problem(1, 1, np.array([0]), np.array([3]), np.array([0.5]), np.array([1]))
