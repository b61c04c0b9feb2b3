"""The Odoo-style baseline ("algorithm": "naive_bayes"): naive Bayes over won / lost
frequency tables, one per field, with Laplace smoothing.

p(won | x) ∝ p(won) Π p(x_f | won), the same for lost; what Odoo's predictive lead
scoring does. The baseline the learned scorer has to beat.

params: {"algorithm": "naive_bayes", "spec": FeatureSpec JSON, "won": n, "lost": n,
"alpha": 1.0, "tables": {field: {value: [won, lost]}}}
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fenpei.engine.items import WorkItem
from fenpei.engine.scoring.contract import Contribution, Example
from fenpei.engine.scoring.features import BIAS, DEFAULT_FIELDS, FeatureSpec, learn_spec


@dataclass(frozen=True)
class NaiveBayes:
    spec: FeatureSpec
    won: float
    lost: float
    tables: Mapping[str, Mapping[str, tuple[float, float]]]
    alpha: float = 1.0
    algorithm: str = field(default="naive_bayes")

    def _terms(self, customer: WorkItem) -> list[tuple[str, str, float]]:
        found = [("prior", "", math.log((self.won + 1) / (self.lost + 1)))]
        for name, value in self.spec.values_of(customer):
            if name == BIAS:
                continue
            table = self.tables.get(name, {})
            k = len(table) or 1
            w, lost = table.get(value, (0.0, 0.0))
            p_won = (w + self.alpha) / (self.won + self.alpha * k)
            p_lost = (lost + self.alpha) / (self.lost + self.alpha * k)
            found.append((name, value, math.log(p_won / p_lost)))
        return found

    def p_win(self, customer: WorkItem) -> float:
        z = sum(e for _, _, e in self._terms(customer))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def factors(self, customer: WorkItem, top: int = 3) -> Sequence[Contribution]:
        found = [Contribution(f, v, e) for f, v, e in self._terms(customer)[1:] if e != 0.0]
        found.sort(key=lambda c: abs(c.effect), reverse=True)
        return found[:top]

    def to_params(self) -> dict[str, Any]:
        return {
            "algorithm": "naive_bayes",
            "spec": self.spec.to_json(),
            "won": self.won,
            "lost": self.lost,
            "alpha": self.alpha,
            "tables": {f: {v: list(c) for v, c in t.items()} for f, t in self.tables.items()},
        }


def train_naive_bayes(
    examples: Sequence[Example], *, fields: Sequence[str] = DEFAULT_FIELDS, min_count: int = 10
) -> NaiveBayes:
    """Count won and lost customers per value of each field."""
    spec = learn_spec([e.customer for e in examples], fields, min_count=min_count)
    tables: dict[str, dict[str, list[float]]] = defaultdict(dict)
    for name, values in spec.values.items():
        tables[name] = {v: [0.0, 0.0] for v in (*values, "(other)")}
    won = sum(1 for e in examples if e.won)
    for e in examples:
        for name, value in spec.values_of(e.customer):
            if name != BIAS:
                tables[name][value][0 if e.won else 1] += 1
    frozen = {f: {v: (c[0], c[1]) for v, c in t.items()} for f, t in tables.items()}
    return NaiveBayes(spec, float(won), float(len(examples) - won), frozen)


def _count(n: object) -> bool:
    return not isinstance(n, bool) and isinstance(n, int | float) and 0 <= n < 1e12


def load_naive_bayes(params: Mapping[str, Any]) -> NaiveBayes:
    """The model stored in ``params``; ValueError naming what is wrong."""
    spec = FeatureSpec.from_json(params.get("spec"))
    counts = [params.get("won"), params.get("lost"), params.get("alpha", 1.0)]
    for name, n in zip(("won", "lost", "alpha"), counts, strict=True):
        if not _count(n) or (name == "alpha" and n == 0):
            raise ValueError(f"naive_bayes: {name} must be a count, got {n!r}")
    tables = params.get("tables")
    if not isinstance(tables, Mapping):
        raise ValueError("naive_bayes: tables must map each field to {value: [won, lost]}")
    frozen: dict[str, dict[str, tuple[float, float]]] = {}
    for name, table in tables.items():
        if not isinstance(table, Mapping) or not all(
            isinstance(c, list) and len(c) == 2 and all(_count(n) for n in c)
            for c in table.values()
        ):
            raise ValueError(f"naive_bayes: tables.{name} must map values to [won, lost] counts")
        frozen[str(name)] = {str(v): (float(c[0]), float(c[1])) for v, c in table.items()}
    won, lost, alpha = (float(c) for c in counts if isinstance(c, int | float))
    return NaiveBayes(spec, won, lost, frozen, alpha)
