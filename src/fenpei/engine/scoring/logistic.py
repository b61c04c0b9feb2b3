"""The learned p(win | customer) ("algorithm": "logistic").

An L2-regularised logistic regression on one-hot features (``features``), with pairwise
interactions between fields (industry × size …) when they predict better on held-out
data, and Platt calibration fitted on a later fold. ``factors`` are the terms that moved a
customer's log-odds most.

params: {"algorithm": "logistic", "spec": FeatureSpec JSON, "weights": [one per column],
"pairs": [{"fields": [f1, f2], "terms": [[v1, v2, weight], …]}], "calibration":
{"a": …, "b": …}} — p = sigmoid(a · (Σ weights) + b).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from fenpei.engine.items import WorkItem
from fenpei.engine.scoring import _fit
from fenpei.engine.scoring._fit import Floats
from fenpei.engine.scoring.contract import Contribution, Example
from fenpei.engine.scoring.features import BIAS, DEFAULT_FIELDS, FeatureSpec, learn_spec

Pair = tuple[str, str]


@dataclass(frozen=True)
class LogisticScorer:
    """A trained logistic p(win | customer); immutable, pure."""

    spec: FeatureSpec
    weights: Floats
    pairs: tuple[Pair, ...] = ()
    pair_terms: tuple[Mapping[Pair, float], ...] = ()
    a: float = 1.0
    b: float = 0.0
    algorithm: str = field(default="logistic")

    def terms(self, customer: WorkItem) -> list[tuple[str, str, float]]:
        """Every term the customer has: (feature, value, log-odds before calibration)."""
        values = self.spec.values_of(customer)
        found = [(f, v, float(self.weights[self.spec.index[(f, v)]])) for f, v in values]
        by_field = dict(values)
        for (f1, f2), table in zip(self.pairs, self.pair_terms, strict=True):
            key = (by_field[f1], by_field[f2])
            if key in table:
                found.append((f"{f1} × {f2}", f"{key[0]} × {key[1]}", table[key]))
        return found

    def p_win(self, customer: WorkItem) -> float:
        z = sum(effect for _, _, effect in self.terms(customer))
        return 1.0 / (1.0 + math.exp(-(self.a * z + self.b)))

    def factors(self, customer: WorkItem, top: int = 3) -> Sequence[Contribution]:
        found = [
            Contribution(f, v, self.a * e, {"odds": round(math.exp(self.a * e), 3)})
            for f, v, e in self.terms(customer)
            if f != BIAS and e != 0.0
        ]
        found.sort(key=lambda c: abs(c.effect), reverse=True)
        return found[:top]

    def to_params(self) -> dict[str, Any]:
        return {
            "algorithm": "logistic",
            "spec": self.spec.to_json(),
            "weights": [round(float(w), 6) for w in self.weights],
            "pairs": [
                {"fields": list(p), "terms": [[v1, v2, round(w, 6)] for (v1, v2), w in t.items()]}
                for p, t in zip(self.pairs, self.pair_terms, strict=True)
            ],
            "calibration": {"a": self.a, "b": self.b},
        }


LIMIT = 1e6  # no learned weight comes near; a bigger one is damage (and would overflow)


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not abs(value) <= LIMIT:
        raise ValueError(
            f"{where} must be a number between -{LIMIT:g} and {LIMIT:g}, got {value!r}"
        )
    return float(value)


def calibration_of(params: Mapping[str, Any], algorithm: str) -> tuple[float, float]:
    cal = params.get("calibration", {"a": 1.0, "b": 0.0})
    if not isinstance(cal, Mapping):
        raise ValueError(f"{algorithm}: calibration must be an object with a and b")
    return _number(cal.get("a"), f"{algorithm}: calibration.a"), _number(
        cal.get("b"), f"{algorithm}: calibration.b"
    )


def load_logistic(params: Mapping[str, Any]) -> LogisticScorer:
    """The scorer stored in ``params``; ValueError naming what is wrong."""
    spec = FeatureSpec.from_json(params.get("spec"))
    weights = params.get("weights")
    if not isinstance(weights, list) or len(weights) != len(spec.columns):
        raise ValueError(f"logistic: weights must be a list of {len(spec.columns)} numbers")
    w = np.array([_number(v, "logistic: weights[]") for v in weights])
    pairs: list[Pair] = []
    tables: list[dict[Pair, float]] = []
    for i, pair in enumerate(params.get("pairs", [])):
        names = pair.get("fields") if isinstance(pair, Mapping) else None
        terms = pair.get("terms") if isinstance(pair, Mapping) else None
        if not (isinstance(names, list) and len(names) == 2 and set(names) <= set(spec.fields)):
            raise ValueError(f"logistic: pairs[{i}].fields must name two of the spec's fields")
        if not isinstance(terms, list) or not all(
            isinstance(t, list) and len(t) == 3 for t in terms
        ):
            raise ValueError(f"logistic: pairs[{i}].terms must be [value, value, weight] rows")
        pairs.append((str(names[0]), str(names[1])))
        tables.append({(str(a), str(b)): _number(x, f"pairs[{i}].terms") for a, b, x in terms})
    a, b = calibration_of(params, "logistic")
    return LogisticScorer(spec, w, tuple(pairs), tuple(tables), a, b)


# Training ------------------------------------------------------------------------------


def _pair_tables(
    spec: FeatureSpec, values: list[dict[str, str]], min_count: int
) -> tuple[list[Pair], list[dict[Pair, int]]]:
    """For each pair of fields, the value pairs seen at least ``min_count`` times → column."""
    pairs: list[Pair] = []
    tables: list[dict[Pair, int]] = []
    column = len(spec.columns)
    for f1, f2 in combinations(spec.fields, 2):
        counts = Counter((v[f1], v[f2]) for v in values)
        kept = sorted(k for k, n in counts.items() if n >= min_count)
        if kept:
            pairs.append((f1, f2))
            tables.append({k: column + i for i, k in enumerate(kept)})
            column += len(kept)
    return pairs, tables


def _rows(
    spec: FeatureSpec,
    values: list[dict[str, str]],
    pairs: list[Pair],
    tables: list[dict[Pair, int]],
) -> list[list[int]]:
    rows = []
    for v in values:
        row = [spec.index[(f, v[f])] for f in (BIAS, *spec.fields)]
        for (f1, f2), table in zip(pairs, tables, strict=True):
            col = table.get((v[f1], v[f2]))
            if col is not None:
                row.append(col)
        rows.append(row)
    return rows


def train_logistic(
    examples: Sequence[Example],
    *,
    fields: Sequence[str] = DEFAULT_FIELDS,
    interactions: bool | None = None,
    l2: float | None = None,
    calibrate: bool = True,
    min_count: int = 10,
) -> LogisticScorer:
    """Fit p(win | customer). ``interactions`` / ``l2`` None: chosen by log loss on the
    a held-out fifth of the examples (``_fit.folds``), which then calibrates the model; the model is
    refitted on every example."""
    ordered = sorted(examples, key=lambda e: e.at)
    y = np.array([float(e.won) for e in ordered])
    spec = learn_spec([e.customer for e in ordered], fields, min_count=min_count)
    values = [dict(spec.values_of(e.customer)) for e in ordered]
    base_rate = float(np.clip(y.mean(), 0.01, 0.99)) if len(y) else 0.5
    if len(y) < 20 or y.min() == y.max():
        weights = np.zeros(len(spec.columns))
        weights[0] = math.log(base_rate / (1 - base_rate))
        return LogisticScorer(spec, weights)
    pairs, tables = _pair_tables(spec, values, max(min_count, 20))
    options = [False, True] if interactions is None else [interactions]
    strengths = [1.0, 3.0, 10.0, 30.0, 100.0, 1000.0] if l2 is None else [l2]
    fit_rows, held = _fit.folds(len(y))

    def design(with_pairs: bool) -> tuple[Any, int, int]:
        used_pairs, used = (pairs, tables) if with_pairs else ([], [])
        width = len(spec.columns) + sum(len(t) for t in used)
        return _fit.one_hot(_rows(spec, values, used_pairs, used), width), width, len(spec.columns)

    def penalty(width: int, main: int, strength: float) -> Floats:
        pen = np.full(width, strength)
        pen[main:] = 2 * strength  # pairs shrink harder than main effects
        pen[0] = 1e-4
        return pen

    best: tuple[float, bool, float] | None = None
    held_z: Floats = np.zeros(0)
    choose = len(options) * len(strengths) > 1 or calibrate
    if choose:
        for with_pairs in options:
            x, width, main = design(with_pairs)
            w = None
            for strength in sorted(strengths, reverse=True):  # warm-started, strongest first
                w = _fit.fit(x[fit_rows], y[fit_rows], penalty(width, main, strength), start=w)
                z = x[held] @ w
                loss = _fit.log_loss(_fit.sigmoid(z), y[held])
                if best is None or loss < best[0]:
                    best, held_z = (loss, with_pairs, strength), z
    with_pairs, strength = (best[1], best[2]) if best else (options[0], strengths[0])
    a, b = _fit.platt(held_z, y[held]) if calibrate else (1.0, 0.0)
    x, width, main = design(with_pairs)
    w = _fit.fit(x, y, penalty(width, main, strength))
    main_w = w[:main]
    pair_terms = tuple(
        {k: float(w[col]) for k, col in table.items()} for table in (tables if with_pairs else [])
    )
    return LogisticScorer(spec, main_w, tuple(pairs if with_pairs else []), pair_terms, a, b)
