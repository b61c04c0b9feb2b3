"""Best match (最佳匹配): the rep whose skills and seniority fit the customer, less their load."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from random import Random
from typing import Any

from fenpei.engine.items import WorkItem
from fenpei.engine.model import Choice, RepState
from fenpei.engine.scoring.contract import Affinity
from fenpei.engine.strategies._common import (
    default_capacity_problems,
    is_number,
    load,
    pick_lowest,
    unknown_options,
)

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "industry": 3, "region": 2, "language": 2, "product": 1, "seniority": 1, "load": 2,
}  # fmt: skip
# The seniority (1-100) each customer level wants: A customers to the most senior reps.
DEFAULT_SENIORITY_TARGETS: Mapping[str, float] = {"A": 100, "B": 67, "C": 34, "D": 1}
SENIORITY_RANGE = 99  # seniority runs 1..100
# Which skill list each customer attribute is looked up in.
SKILL_OF = {
    "industry": "industries", "region": "regions", "language": "languages", "product": "products",
}  # fmt: skip


def _wanted(customer: WorkItem) -> dict[str, str]:
    """The customer's attribute for each skill, where it has one."""
    language = customer.custom.get("language")
    values = {
        "industry": customer.industry,
        "region": customer.region,
        "language": language if isinstance(language, str) else None,
        "product": customer.product_interest,
    }
    return {what: value.strip() for what, value in values.items() if value and value.strip()}


def _has_skill(candidate: RepState, what: str, value: str) -> bool:
    listed = candidate.rep.skills.get(SKILL_OF[what], [])
    return value.casefold() in {skill.strip().casefold() for skill in listed}


def _target(level: str | None, options: Mapping[str, Any]) -> float | None:
    if not level:
        return None
    given = options.get("seniority_targets", {})
    # The rule's targets override the defaults level by level; levels it leaves out keep theirs.
    targets = {**DEFAULT_SENIORITY_TARGETS, **(given if isinstance(given, Mapping) else {})}
    found = {str(k).casefold(): v for k, v in targets.items()}.get(level.strip().casefold())
    return float(found) if is_number(found) else None


def _weights(options: Mapping[str, Any]) -> dict[str, float]:
    given = options.get("weights", {})
    given = given if isinstance(given, Mapping) else {}
    return {
        name: float(given[name]) if is_number(given.get(name)) else float(default)
        for name, default in DEFAULT_WEIGHTS.items()
    }


def _score(
    candidate: RepState,
    customer: WorkItem,
    weights: Mapping[str, float],
    options: Mapping[str, Any],
    parts: list[dict[str, Any]],
) -> tuple[float, list[str]]:
    """The rep's fit for the customer and what made it up, in words (and as values, added
    to ``parts``)."""
    score, why = 0.0, []
    for what, value in _wanted(customer).items():
        if _has_skill(candidate, what, value):
            score += weights[what]
            why.append(f"{what} {value} ✓")
            parts.append({"kind": "skill", "what": what, "value": value})
    target = _target(customer.level, options)
    if target is not None:
        seniority = candidate.rep.seniority
        fit = max(0.0, 1 - abs(target - seniority) / SENIORITY_RANGE)
        score += weights["seniority"] * fit
        why.append(f"seniority {seniority} for level {customer.level} (fit {fit:.2f})")
        parts.append(
            {"kind": "seniority", "seniority": seniority, "level": customer.level, "fit": fit}
        )
    share = float(load(candidate, options))
    score -= weights["load"] * share
    why.append(f"load {share:.0%}")
    parts.append({"kind": "load", "share": share})
    return score, why


class BestMatch:
    """Adds a weight for each skill the customer's attribute is found in (industry, region,
    ``custom["language"]``, product interest; case-insensitive), the seniority weight times
    how close the rep's seniority is to the level's target (1 - |target - seniority| / 99),
    and subtracts the load weight times open/capacity. Weights and level targets come from
    options; equal scores go to the rep waiting longest, then the lowest id.

    Score: that weighted sum, e.g. 3 (industry) + 2 (region) + 0.9 (seniority) - 0.2 (load).
    """

    name = "best_match"
    weighs_load = True

    def choose(
        self,
        candidates: Sequence[RepState],
        *,
        customer: WorkItem,
        state: Mapping[str, Any],
        options: Mapping[str, Any],
        rng: Random,
        affinity: Affinity | None = None,
    ) -> Choice:
        weights = _weights(options)
        parts: dict[int, list[dict[str, Any]]] = {c.id: [] for c in candidates}
        explained = {c.id: _score(c, customer, weights, options, parts[c.id]) for c in candidates}
        # Rounded so that float noise never decides between two equally good reps.
        scores = {rep_id: round(score, 6) + 0.0 for rep_id, (score, _) in explained.items()}
        chosen, _ = pick_lowest(candidates, {rep_id: -s for rep_id, s in scores.items()})
        why = explained[chosen.id][1]
        return Choice(
            rep_id=chosen.id,
            scores=scores,
            reason=f"best match {round(scores[chosen.id], 2) + 0.0:g}: {', '.join(why)}",
            code="best_match",
            params={"score": scores[chosen.id], "parts": parts[chosen.id]},
        )

    def option_problems(self, options: Mapping[str, Any]) -> list[str]:
        problems = unknown_options(options, ("weights", "seniority_targets", "default_capacity"))
        problems += default_capacity_problems(options)
        problems += _number_map_problems(
            options, "weights", allowed=DEFAULT_WEIGHTS, low=0, high=None
        )
        problems += _number_map_problems(
            options, "seniority_targets", allowed=None, low=1, high=100
        )
        return problems


def _number_map_problems(
    options: Mapping[str, Any],
    key: str,
    *,
    allowed: Mapping[str, float] | None,
    low: float,
    high: float | None,
) -> list[str]:
    """Problems with ``options[key]``, which must map names (from ``allowed``) to numbers."""
    if key not in options:
        return []
    given = options[key]
    if not isinstance(given, Mapping):
        return [f"{key}: must be an object of name → number, got {given!r}"]
    problems = []
    bounds = f"between {low} and {high}" if high is not None else f"≥ {low}"
    for name, value in given.items():
        if allowed is not None and name not in allowed:
            known = ", ".join(sorted(allowed))
            problems.append(f"{key}.{name}: unknown weight (known: {known})")
        elif not is_number(value):
            problems.append(f"{key}.{name}: must be a number, got {value!r}")
        elif value < low or (high is not None and value > high):
            problems.append(f"{key}.{name}: must be {bounds}, got {value!r}")
    return problems
