"""Evaluating learned models on a time split, against their baselines.

Train on the outcomes known before ``split_at``, test on those known at or after it: no
future leaks into training (the feature spec too is learned from the earlier part only).
The learned model is compared with Odoo-style naive Bayes, a plain logistic regression
(main effects, fixed strength, uncalibrated), the constant base rate and, for affinity,
the per-segment win-rate table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from fenpei.engine.scoring import metrics
from fenpei.engine.scoring.contract import Example
from fenpei.engine.scoring.features import DEFAULT_FIELDS
from fenpei.engine.scoring.logistic import train_logistic
from fenpei.engine.scoring.naive_bayes import train_naive_bayes
from fenpei.engine.scoring.segment_table import train_segment_table
from fenpei.engine.scoring.training import train_affinity, train_score

LEARNED = "learned"
KINDS = ("score", "affinity")


@dataclass(frozen=True)
class Evaluation:
    """How the learned model and its baselines did on the later part of the history.
    ``models``: name → {auc, brier, log_loss, calibration}; ``per_rep``: the learned
    model's calibration per rep; ``lift``: the win rate of its top tenth over the test's."""

    kind: str
    split_at: datetime
    rows: int
    test_rows: int
    base_rate: float
    models: dict[str, dict[str, Any]]
    per_rep: dict[str, dict[str, float]] = field(default_factory=dict)
    lift: float | None = None

    @property
    def learned(self) -> dict[str, Any]:
        return self.models[LEARNED]

    def metrics(self) -> dict[str, Any]:
        """The learned model's figures in ``ScoreModel.metrics`` shape."""
        return {
            "auc": self.learned["auc"],
            "brier": self.learned["brier"],
            "log_loss": self.learned["log_loss"],
            "rows": self.rows,
            "test_rows": self.test_rows,
            "split_at": self.split_at.isoformat(),
            "base_rate": round(self.base_rate, 4),
            "calibration": self.learned["calibration"],
            "baselines": {
                name: {"auc": m["auc"], "brier": m["brier"], "log_loss": m["log_loss"]}
                for name, m in self.models.items()
                if name != LEARNED
            },
            "per_rep": self.per_rep,
            "lift": self.lift,
        }


def time_split(
    examples: Sequence[Example], split_at: datetime
) -> tuple[list[Example], list[Example]]:
    """(outcomes known before ``split_at``, outcomes known at or after it)."""
    return [e for e in examples if e.at < split_at], [e for e in examples if e.at >= split_at]


def default_split(examples: Sequence[Example], share: float = 0.8) -> datetime:
    """The time before which ``share`` of the outcomes were known."""
    times = sorted(e.at for e in examples)
    if not times:
        raise ValueError("no closed customers to split")
    return times[min(int(len(times) * share), len(times) - 1)]


def _top_lift(p: np.ndarray, y: np.ndarray) -> float | None:
    if len(y) < 10 or y.mean() == 0:
        return None
    top = np.argsort(-p, kind="stable")[: max(1, len(y) // 10)]
    return round(float(y[top].mean() / y.mean()), 3)


def evaluate(
    examples: Sequence[Example],
    split_at: datetime,
    *,
    kind: str = "score",
    team_of_rep: Mapping[int, int] | None = None,
    fields: Sequence[str] = DEFAULT_FIELDS,
) -> Evaluation:
    """Train each model on the earlier outcomes and score it on the later ones.
    ValueError (naming the problem) when either side is empty or one-sided."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "affinity":
        examples = [e for e in examples if e.rep_id is not None]
    train, test = time_split(examples, split_at)
    if len(train) < 20 or len({e.won for e in train}) < 2:
        raise ValueError("too few outcomes before the split (need 20, won and lost)")
    if not test:
        raise ValueError("no outcome known at or after the split")
    y = np.array([float(e.won) for e in test])
    base = float(np.mean([e.won for e in train]))
    predictors: dict[str, Callable[[Example], float]] = {}
    if kind == "score":
        learned = train_score(train, fields=fields)
        predictors[LEARNED] = lambda e: learned.p_win(e.customer)
    else:
        affinity = train_affinity(train, team_of_rep or {}, fields=fields)
        table = train_segment_table(train)
        predictors[LEARNED] = lambda e: affinity.p_win(e.customer, [e.rep_id or 0])[e.rep_id or 0]
        predictors["segment_table"] = lambda e: table.p_win(e.customer, [e.rep_id or 0])[
            e.rep_id or 0
        ]
    bayes = train_naive_bayes(train, fields=fields)
    plain = train_logistic(train, fields=fields, interactions=False, l2=1.0, calibrate=False)
    predictors["naive_bayes"] = lambda e: bayes.p_win(e.customer)
    predictors["logistic"] = lambda e: plain.p_win(e.customer)
    predictors["constant"] = lambda e: base
    models: dict[str, dict[str, Any]] = {}
    learned_p = np.zeros(0)
    for name, predict in predictors.items():
        p = np.array([predict(e) for e in test])
        models[name] = {**metrics.summary(p, y), "calibration": metrics.calibration(p, y)}
        if name == LEARNED:
            learned_p = p
    with_rep = [i for i, e in enumerate(test) if e.rep_id is not None]
    per_rep = metrics.per_group(
        learned_p[with_rep], y[with_rep], [test[i].rep_id for i in with_rep]
    )
    return Evaluation(
        kind, split_at, len(train), len(test), base, models, per_rep, _top_lift(learned_p, y)
    )
