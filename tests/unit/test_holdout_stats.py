"""The holdout report's intervals: Wilson for one arm's conversion, Newcombe's hybrid
score interval for the difference between arms, checked against the published values
(Newcombe 1998, Statistics in Medicine 17: tables of 'method 10') and for coverage."""

from __future__ import annotations

from random import Random

import pytest

from fenpei.services.holdout.stats import newcombe, wilson


@pytest.mark.parametrize(
    ("won", "closed", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
     (1, 29, 0.0061, 0.1718)],
)  # fmt: skip
def test_wilson_interval_matches_the_published_values(
    won: int, closed: int, low: float, high: float
) -> None:
    interval = wilson(won, closed)

    assert interval is not None
    assert (round(interval.low, 4), round(interval.high, 4)) == (low, high)


@pytest.mark.parametrize(
    ("counts", "low", "high"),
    [((56, 70, 48, 80), 0.0524, 0.3339), ((9, 10, 3, 10), 0.1705, 0.8090),
     ((5, 56, 0, 29), -0.0381, 0.1926), ((0, 10, 0, 20), -0.1611, 0.2775),
     ((10, 10, 0, 20), 0.6791, 1.0)],
)  # fmt: skip
def test_newcombe_difference_matches_the_published_values(
    counts: tuple[int, int, int, int], low: float, high: float
) -> None:
    found = newcombe(*counts)

    assert found is not None
    assert (round(found.interval.low, 4), round(found.interval.high, 4)) == (low, high)


def test_significant_only_when_the_interval_leaves_out_zero() -> None:
    clear, unclear = newcombe(56, 70, 48, 80), newcombe(5, 56, 0, 29)

    assert clear is not None and clear.significant
    assert unclear is not None and not unclear.significant


def test_an_arm_with_nothing_closed_has_no_interval() -> None:
    assert wilson(0, 0) is None
    assert newcombe(3, 10, 0, 0) is None
    with pytest.raises(ValueError, match="between 0 and 10"):
        wilson(11, 10)


def test_the_difference_interval_covers_the_truth_about_95_percent_of_the_time() -> None:
    rng = Random(20261207)
    truth_smart, truth_holdout, runs, covered = 0.30, 0.22, 2000, 0
    for _ in range(runs):
        n_smart, n_holdout = 160, 40
        won_smart = sum(rng.random() < truth_smart for _ in range(n_smart))
        won_holdout = sum(rng.random() < truth_holdout for _ in range(n_holdout))
        found = newcombe(won_smart, n_smart, won_holdout, n_holdout)
        assert found is not None
        covered += found.interval.covers(truth_smart - truth_holdout)

    # 2000 runs: the coverage's standard error is 0.5 points; Newcombe's interval is known
    # to sit at or slightly above its nominal 95%.
    assert 0.935 <= covered / runs <= 0.975
