"""Why a candidate scored what they did: the parts of a strategy's score, as figures.

A strategy returns one number per candidate (``Choice.scores``); the rule tester shows
each candidate with that number *and* what made it up — their load against capacity, the
skills that matched, their weight and credit, their turn. The figures here follow the
strategies' own arithmetic (the helpers are theirs), so the parts add up to the score.
Words are left to the pages' catalogs: a factor is a kind and its figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fenpei.engine.items import WorkItem
from fenpei.engine.model import RepState
from fenpei.engine.strategies._common import load_params
from fenpei.engine.strategies.best_match import SENIORITY_RANGE as _SENIORITY_RANGE
from fenpei.engine.strategies.best_match import _has_skill, _target, _wanted, _weights
from fenpei.engine.strategies.predicted_conversion import customer_value, load_weight


@dataclass(frozen=True)
class Factor:
    """One part of a score. ``kind``: load, skill, seniority, credit, turn, chance,
    open_value or p_win; ``figures`` the numbers and names it is told with; ``points`` what it adds
    to the score, where the score is a sum of parts (best match), else None."""

    kind: str
    figures: Mapping[str, Any] = field(default_factory=dict)
    points: float | None = None


def _load(candidate: RepState, options: Mapping[str, Any], **extra: Any) -> Factor:
    return Factor("load", {**load_params(candidate, options), **extra})


def _best_match(
    candidate: RepState, customer: WorkItem, options: Mapping[str, Any]
) -> tuple[Factor, ...]:
    """Best match's sum, part by part (see ``best_match._score``)."""
    weights = _weights(options)
    parts: list[Factor] = []
    for what, value in _wanted(customer).items():
        if _has_skill(candidate, what, value):
            parts.append(
                Factor("skill", {"what": what, "value": value, "weight": weights[what]},
                       points=weights[what])
            )  # fmt: skip
    target = _target(customer.level, options)
    if target is not None:
        seniority = candidate.rep.seniority
        fit = max(0.0, 1 - abs(target - seniority) / _SENIORITY_RANGE)
        parts.append(
            Factor(
                "seniority",
                {"seniority": seniority, "level": customer.level, "fit": fit,
                 "weight": weights["seniority"]},
                points=weights["seniority"] * fit,
            )
        )  # fmt: skip
    loaded = _load(candidate, options, weight=weights["load"])
    parts.append(replace(loaded, points=-weights["load"] * loaded.figures["share"]))
    return tuple(parts)


def _p_win(
    candidate: RepState, customer: WorkItem, options: Mapping[str, Any], score: float
) -> tuple[Factor, ...]:
    """Predicted conversion's value × (p − λ × load): p read back from the score (the
    model is not asked twice), and the load's share of it."""
    weight, value = load_weight(options), customer_value(customer, options)
    loaded = _load(candidate, options, weight=weight)
    share = loaded.figures["share"]
    p = score / value + weight * share
    figures = {"p": round(p, 6) + 0.0, "load_weight": weight, "load": share, "value": value}
    return (
        Factor("p_win", figures, points=value * p),
        replace(loaded, points=-value * weight * share),
    )


def score_factors(
    strategy: str,
    candidate: RepState,
    *,
    score: float,
    top_score: float,
    customer: WorkItem,
    options: Mapping[str, Any],
) -> tuple[Factor, ...]:
    """What made up ``candidate``'s ``score`` under ``strategy`` (``top_score``: the best
    score of the decision, for strategies that rank by turn)."""
    if strategy == "best_match":
        return _best_match(candidate, customer, options)
    if strategy in ("predicted_conversion", "batch_optimal"):
        return _p_win(candidate, customer, options, score)
    if strategy == "least_loaded":
        return (_load(candidate, options),)
    if strategy == "weighted_round_robin":
        weight = max(1, candidate.rep.weight)
        credit = Factor("credit", {"weight": weight, "credit": int(score)})
        return (credit, _load(candidate, options))
    if strategy == "round_robin":
        return (Factor("turn", {"place": int(top_score - score) + 1}), _load(candidate, options))
    if strategy == "random":
        weighted = options.get("weighted") is True
        chance = {"share": score, "weight": max(1, candidate.rep.weight) if weighted else None}
        return (Factor("chance", chance), _load(candidate, options))
    if strategy == "value_balanced":
        return (Factor("open_value", {"value": float(candidate.open_value)}),)
    return (_load(candidate, options),)
