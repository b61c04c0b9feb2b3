"""A stored model's params → the model the engine runs (``contract``), by its algorithm.

Each algorithm module registers its loader in ``ALGORITHMS`` (below, one line each); the
params always carry ``"algorithm"``. Unknown or damaged params raise ValueError naming what
is wrong, so a bad version is refused when activated, not when a customer is routed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fenpei.engine.items import WorkItem
from fenpei.engine.scoring._params import strict
from fenpei.engine.scoring.affinity import load_affinity
from fenpei.engine.scoring.contract import Affinity, Contribution, CustomerScorer, Scorecard
from fenpei.engine.scoring.logistic import load_logistic
from fenpei.engine.scoring.naive_bayes import load_naive_bayes
from fenpei.engine.scoring.scorecard import load_scorecard
from fenpei.engine.scoring.segment_table import load_segment_table

Model = CustomerScorer | Affinity | Scorecard


@dataclass(frozen=True)
class Prior:
    """The base rate: every customer (and every rep) gets the share won in the history.
    What a learned model falls back to with no history; a real, if modest, model."""

    p: float
    algorithm: str = "prior"

    def p_win(self, customer: WorkItem, rep_ids: Sequence[int] | None = None) -> Any:
        return self.p if rep_ids is None else dict.fromkeys(rep_ids, self.p)

    def factors(self, customer: WorkItem, *_: Any, top: int = 3) -> Sequence[Contribution]:
        return (Contribution("prior", f"{self.p:.3f}", 0.0),)[:top]


def _prior(params: Mapping[str, Any]) -> Prior:
    p = params.get("p")
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
        raise ValueError(f"prior: p must be a probability, got {p!r}")
    return Prior(float(p))


ALGORITHMS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "prior": _prior,
    "logistic": strict(load_logistic),
    "naive_bayes": strict(load_naive_bayes),
    "affinity_logistic": strict(load_affinity),
    "segment_table": strict(load_segment_table),
    "scorecard": strict(load_scorecard),
}


def load_model(params: Mapping[str, Any]) -> Model:
    """The model ``params`` describe; ValueError if they describe none."""
    algorithm = params.get("algorithm") if isinstance(params, Mapping) else None
    loader = ALGORITHMS.get(algorithm) if isinstance(algorithm, str) else None
    if loader is None:
        known = ", ".join(sorted(ALGORITHMS))
        raise ValueError(f"unknown algorithm {algorithm!r} (known: {known})")
    model: Model = loader(params)
    return model
