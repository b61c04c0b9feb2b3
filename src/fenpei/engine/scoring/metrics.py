"""How good a probability is: ranking (AUC), accuracy (Brier, log loss), calibration.

Plain functions over predicted probabilities and 0/1 outcomes, all JSON-ready, so a
model version's ``metrics`` and the evaluation page read the same numbers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata

from fenpei.engine.scoring._fit import Floats, log_loss


def auc(p: Sequence[float] | Floats, won: Sequence[bool] | Floats) -> float | None:
    """The chance a won customer is ranked above a lost one (ties count half), from the
    ranks (Mann-Whitney); None when only one outcome occurs."""
    scores, y = np.asarray(p, np.float64), np.asarray(won, np.float64)
    positives = float(y.sum())
    negatives = float(len(y) - positives)
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(scores)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def brier(p: Sequence[float] | Floats, won: Sequence[bool] | Floats) -> float:
    """Mean squared error of the probability (0 is perfect; a constant base rate q scores
    q(1-q))."""
    scores, y = np.asarray(p, np.float64), np.asarray(won, np.float64)
    return float(np.mean((scores - y) ** 2)) if len(y) else 0.0


def calibration(
    p: Sequence[float] | Floats, won: Sequence[bool] | Floats, bins: int = 10
) -> list[dict[str, float]]:
    """Equal-width bins of the predicted probability: the mean predicted, the share won,
    and how many (empty bins left out)."""
    scores, y = np.asarray(p, np.float64), np.asarray(won, np.float64)
    which = np.minimum((scores * bins).astype(np.int64), bins - 1)
    found = []
    for b in range(bins):
        mask = which == b
        n = int(mask.sum())
        if n:
            found.append(
                {
                    "predicted": round(float(scores[mask].mean()), 4),
                    "observed": round(float(y[mask].mean()), 4),
                    "n": n,
                }
            )
    return found


def per_group(
    p: Sequence[float] | Floats, won: Sequence[bool] | Floats, groups: Sequence[Hashable]
) -> dict[str, dict[str, float]]:
    """Calibration per group (per rep): mean predicted vs share won, and how many."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for q, y, g in zip(p, won, groups, strict=True):
        row = sums[str(g)]
        row[0] += float(q)
        row[1] += float(y)
        row[2] += 1
    return {
        g: {"predicted": round(s / n, 4), "observed": round(w / n, 4), "n": int(n)}
        for g, (s, w, n) in sorted(sums.items(), key=lambda kv: kv[0])
    }


def summary(p: Sequence[float] | Floats, won: Sequence[bool] | Floats) -> dict[str, Any]:
    """AUC, Brier score and log loss of one model on one set of outcomes."""
    scores, y = np.asarray(p, np.float64), np.asarray(won, np.float64)
    found = auc(scores, y)
    return {
        "auc": None if found is None else round(found, 4),
        "brier": round(brier(scores, y), 5),
        "log_loss": round(log_loss(scores, y), 5) if len(y) else 0.0,
    }
