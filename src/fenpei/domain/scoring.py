"""Scoring (评分): what a customer is worth and how likely it is to be won.

Three kinds of model, each kept in versions of which at most one per kind is active:

- ``scorecard``: rule-based points (打分卡), admin-defined lines "condition → points",
  summed into ``Customer.score``;
- ``score``: a learned p(win | customer), written to ``Customer.win_probability``;
- ``affinity``: a learned p(win | customer, rep), which the ``predicted_conversion`` and
  ``batch_optimal`` strategies route on.

A model's ``params`` is what the engine needs to run it (``engine.scoring.load_model``);
``metrics`` what training measured (see ``ModelMetrics`` for the shape). A grade (A/B/C/D)
follows from the score or the probability by thresholds (``ScoringSettings``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from itertools import pairwise
from typing import Any

from fenpei.domain.errors import FieldError, ValidationFailed


class ModelKind(StrEnum):
    scorecard = "scorecard"  # rule-based points → Customer.score
    score = "score"  # learned p(win | customer) → Customer.win_probability
    affinity = "affinity"  # learned p(win | customer, rep) → routing


class GradeBasis(StrEnum):
    score = "score"  # the scorecard's points
    win_probability = "win_probability"  # the learned probability, as a percentage


GRADES = ("A", "B", "C", "D")  # best first; D: below every threshold


@dataclass(eq=False)
class ScoreModel:
    """One version of a model. ``params`` run it; ``metrics`` say how good it was when made.

    ``metrics`` (learned models), all optional: ``auc``, ``brier``, ``log_loss``, ``rows``
    (training), ``test_rows``, ``split_at`` (ISO time of the time split), ``calibration``
    (a list of {"predicted", "observed", "n"} bins), ``baselines`` ({name: {auc, brier}}),
    ``per_rep`` ({rep_id: {"predicted", "observed", "n"}}) and ``lift``."""

    kind: ModelKind
    version: int
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    active: bool = False
    created_by: str = "system"
    created_at: datetime | None = None
    activated_at: datetime | None = None
    note: str | None = None
    id: int | None = None


@dataclass(eq=False)
class ScoringSettings:
    """How a grade follows from a customer's score or probability: the lowest value of
    each grade, best first (``{"A": 80, "B": 60, "C": 40}``; anything lower is D)."""

    grade_basis: GradeBasis = GradeBasis.score
    thresholds: dict[str, float] = field(default_factory=lambda: {"A": 80, "B": 60, "C": 40})
    updated_by: str | None = None
    updated_at: datetime | None = None


def grade_of(value: float | None, thresholds: Mapping[str, float]) -> str | None:
    """The grade of ``value`` (None: no value, no grade)."""
    if value is None:
        return None
    for grade in GRADES[:-1]:
        low = thresholds.get(grade)
        if low is not None and value >= low:
            return grade
    return GRADES[-1]


def graded_value(
    basis: GradeBasis, *, score: float | None, win_probability: float | None
) -> float | None:
    """The value a grade is read from: the score, or the probability as a percentage."""
    if basis is GradeBasis.score:
        return score
    return None if win_probability is None else win_probability * 100


def check_thresholds(thresholds: Mapping[str, object]) -> dict[str, float]:
    """Thresholds as numbers, each grade's above the next one's; ValidationFailed naming
    the grade at fault."""
    problems: dict[str, str] = {}
    found: dict[str, float] = {}
    for grade, value in thresholds.items():
        if grade not in GRADES[:-1]:
            problems[f"thresholds.{grade}"] = f"unknown grade (known: {', '.join(GRADES[:-1])})"
        elif isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            problems[f"thresholds.{grade}"] = f"must be a number, got {value!r}"
        elif not -1e9 <= float(value) <= 1e9:
            problems[f"thresholds.{grade}"] = "must be between -1e9 and 1e9"
        else:
            found[grade] = float(value)
    ordered = [g for g in GRADES[:-1] if g in found]
    for higher, lower in pairwise(ordered):
        if found[higher] <= found[lower]:
            problems[f"thresholds.{lower}"] = f"must be below {higher}'s {found[higher]:g}"
    if problems:
        raise ValidationFailed([FieldError(name, why) for name, why in problems.items()])
    return found


# The assignment's experiment arm, when its rule runs a randomised holdout.
class Arm(StrEnum):
    smart = "smart"  # routed by the rule's own strategy
    holdout = "holdout"  # routed by the rule's baseline strategy, chosen at random
