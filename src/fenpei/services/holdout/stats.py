"""Conversion per arm and the difference between arms, with a 95% confidence interval.

Pure arithmetic, stdlib only. A proportion's interval is Wilson's score interval; the
difference of two independent proportions uses Newcombe's hybrid score interval (method
10 of Newcombe 1998), built from the two Wilson intervals. Unlike the normal (Wald)
approximation it stays inside [-1, 1], is defined when an arm has won everything or
nothing, and keeps close to its nominal coverage with small arms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def wilson(successes: int, trials: int, z: float = Z95) -> Interval | None:
    """Wilson's score interval for ``successes / trials``; None without trials."""
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and {trials}, got {successes}")
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Difference:
    """``estimate`` = p1 − p2 with its interval; significant when the interval excludes 0."""

    estimate: float
    interval: Interval

    @property
    def significant(self) -> bool:
        return self.interval.excludes_zero


def newcombe(won1: int, closed1: int, won2: int, closed2: int, z: float = Z95) -> Difference | None:
    """Newcombe's hybrid score interval for won1/closed1 − won2/closed2; None if either
    arm has nothing closed."""
    first, second = wilson(won1, closed1, z), wilson(won2, closed2, z)
    if first is None or second is None:
        return None
    p1, p2 = won1 / closed1, won2 / closed2
    d = p1 - p2
    low = d - math.sqrt((p1 - first.low) ** 2 + (second.high - p2) ** 2)
    high = d + math.sqrt((first.high - p1) ** 2 + (p2 - second.low) ** 2)
    return Difference(d, Interval(max(-1.0, low), min(1.0, high)))
