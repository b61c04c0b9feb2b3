"""The naive affinity baseline ("algorithm": "segment_table"): each rep's win rate per
value of one segment attribute (industry by default), smoothed toward the segment's rate.

p(win | customer, rep) = (won + m · p_segment) / (n + m) for the rep's cell of the
customer's segment; a rep or a segment never seen gets the segment's or everyone's rate.
The issue's naive baseline: it sees rep × one attribute, never rep × several.

params: {"algorithm": "segment_table", "segment": "industry", "strength": m, "base": p,
"segments": {value: p}, "cells": {rep_id: {value: [won, n]}}}
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fenpei.engine.items import WorkItem
from fenpei.engine.scoring._fit import Floats
from fenpei.engine.scoring.contract import Contribution, Example
from fenpei.engine.scoring.features import raw_value


@dataclass(frozen=True)
class SegmentTable:
    segment: str
    base: float
    segments: Mapping[str, float]
    cells: Mapping[int, Mapping[str, tuple[float, float]]]
    strength: float = 10.0
    algorithm: str = field(default="segment_table")

    def _p(self, value: str, rep_id: int) -> float:
        prior = self.segments.get(value, self.base)
        won, n = self.cells.get(rep_id, {}).get(value, (0.0, 0.0))
        return (won + self.strength * prior) / (n + self.strength)

    def p_win(self, customer: WorkItem, rep_ids: Sequence[int]) -> Mapping[int, float]:
        value = raw_value(customer, self.segment)
        return {r: self._p(value, r) for r in rep_ids}

    def p_matrix(
        self, customers: Sequence[WorkItem], rep_ids: Sequence[Sequence[int]]
    ) -> list[Floats]:
        return [
            np.array(list(self.p_win(c, reps).values()))
            for c, reps in zip(customers, rep_ids, strict=True)
        ]

    def factors(self, customer: WorkItem, rep_id: int, top: int = 3) -> Sequence[Contribution]:
        value = raw_value(customer, self.segment)
        won, n = self.cells.get(rep_id, {}).get(value, (0.0, 0.0))
        p = self._p(value, rep_id)
        return (
            Contribution(
                f"rep × {self.segment}", value, 0.0, {"won": won, "n": n, "p": round(p, 4)}
            ),
        )[:top]

    def to_params(self) -> dict[str, Any]:
        return {
            "algorithm": "segment_table",
            "segment": self.segment,
            "strength": self.strength,
            "base": self.base,
            "segments": dict(self.segments),
            "cells": {str(r): {v: list(c) for v, c in t.items()} for r, t in self.cells.items()},
        }


def train_segment_table(
    examples: Sequence[Example], *, segment: str = "industry", strength: float = 10.0
) -> SegmentTable:
    """Count each rep's won and total customers per segment value."""
    cells: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for e in examples:
        value = raw_value(e.customer, segment)
        totals[value][0] += e.won
        totals[value][1] += 1
        if e.rep_id is not None:
            cells[e.rep_id][value][0] += e.won
            cells[e.rep_id][value][1] += 1
    won = sum(t[0] for t in totals.values())
    n = sum(t[1] for t in totals.values())
    base = (won + 1) / (n + 2)
    segments = {v: (w + strength * base) / (k + strength) for v, (w, k) in totals.items()}
    frozen = {r: {v: (c[0], c[1]) for v, c in t.items()} for r, t in cells.items()}
    return SegmentTable(segment, base, segments, frozen, strength)


def _rate(p: object) -> bool:
    return not isinstance(p, bool) and isinstance(p, int | float) and 0 <= p <= 1


def _counts(won: object, n: object) -> bool:
    numbers = all(not isinstance(v, bool) and isinstance(v, int | float) for v in (won, n))
    return numbers and 0 <= won <= n < 1e12  # type: ignore[operator]


def load_segment_table(params: Mapping[str, Any]) -> SegmentTable:
    """The table stored in ``params``; ValueError naming what is wrong."""
    segment, base, strength = (
        params.get("segment"),
        params.get("base"),
        params.get("strength", 10.0),
    )
    if not isinstance(segment, str):
        raise ValueError("segment_table: segment must name a customer field")
    for name, v in (("base", base), ("strength", strength)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1e6:
            raise ValueError(f"segment_table: {name} must be a number from 0 to 1e6, got {v!r}")
    segments, cells = params.get("segments", {}), params.get("cells", {})
    if not isinstance(segments, Mapping) or not all(_rate(p) for p in segments.values()):
        raise ValueError("segment_table: segments must map values to rates (0 to 1)")
    if not _rate(base) or strength == 0:
        raise ValueError("segment_table: base must be a rate (0 to 1), strength above 0")
    if not isinstance(cells, Mapping):
        raise ValueError("segment_table: cells must map rep ids to {value: [won, n]}")
    frozen: dict[int, dict[str, tuple[float, float]]] = {}
    for rep, table in cells.items():
        if not isinstance(table, Mapping) or not all(
            isinstance(c, list) and len(c) == 2 and _counts(c[0], c[1]) for c in table.values()
        ):
            raise ValueError(f"segment_table: cells.{rep} must map values to [won, n], won ≤ n")
        try:
            frozen[int(rep)] = {str(v): (float(c[0]), float(c[1])) for v, c in table.items()}
        except (TypeError, ValueError):
            raise ValueError(
                f"segment_table: cells.{rep} must be keyed by a rep id, counts numbers"
            ) from None
    assert isinstance(base, int | float) and isinstance(strength, int | float)
    return SegmentTable(
        segment,
        float(base),
        {str(k): float(v) for k, v in segments.items()},
        frozen,
        float(strength),
    )
