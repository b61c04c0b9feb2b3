"""Random (随机): a draw from the caller's seeded generator, uniform or by rep weight."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from random import Random
from typing import Any

from fenpei.engine.items import WorkItem
from fenpei.engine.model import Choice, RepState
from fenpei.engine.scoring.contract import Affinity
from fenpei.engine.strategies._common import by_id, unknown_options


class RandomPick:
    """``rng.choice`` over the candidates in id order, or with ``{"weighted": true}`` a draw
    where each rep's chance is proportional to their weight. Reproducible: the same seed
    and candidates give the same pick.

    Score: the rep's chance of being drawn (the scores sum to 1). This is the one strategy
    whose pick need not hold the highest score — it is a draw, not a ranking.
    """

    name = "random"
    weighs_load = False

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
        ordered = by_id(candidates)
        params: dict[str, Any]
        if options.get("weighted") is True:
            weights = [max(1, c.rep.weight) for c in ordered]
            chosen = rng.choices(ordered, weights=weights, k=1)[0]
            total = sum(weights)
            scores = {c.id: w / total for c, w in zip(ordered, weights, strict=True)}
            weight = max(1, chosen.rep.weight)
            reason = f"weighted random draw: weight {weight} of {total} ({weight / total:.0%})"
            code, params = "random.weighted", {"weight": weight, "total": total}
        else:
            chosen = rng.choice(ordered)
            scores = {c.id: 1 / len(ordered) for c in ordered}
            reason = f"random draw: 1 in {len(ordered)}"
            code, params = "random.even", {"count": len(ordered)}
        return Choice(rep_id=chosen.id, scores=scores, reason=reason, code=code, params=params)

    def option_problems(self, options: Mapping[str, Any]) -> list[str]:
        problems = unknown_options(options, ("weighted",))
        if "weighted" in options and not isinstance(options["weighted"], bool):
            problems.append(f"weighted: must be true or false, got {options['weighted']!r}")
        return problems
