"""Smooth weighted round robin (加权轮询), as nginx does it: shares by weight, interleaved."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from random import Random
from typing import Any

from fenpei.engine.items import WorkItem
from fenpei.engine.model import Choice, RepState
from fenpei.engine.scoring.contract import Affinity
from fenpei.engine.strategies._common import by_id, unknown_options


def _credits(state: Mapping[str, Any]) -> dict[str, int]:
    """The saved credits, ignoring anything that is not ``{"<rep id>": int}``."""
    saved = state.get("current")
    if not isinstance(saved, Mapping):
        return {}
    return {
        str(key): value
        for key, value in saved.items()
        if isinstance(value, int) and not isinstance(value, bool)
    }


class WeightedRoundRobin:
    """Every call each candidate earns its weight in credit; the richest is served and pays
    the total of all candidates' weights. Over a cycle of sum(weights) calls with a fixed
    team each rep is served exactly ``weight`` times, spread out rather than in bursts.

    Credits live in the state as ``{"current": {"<rep id>": credit}}``. A rep who is not a
    candidate this time loses their credit (their entry is dropped) and starts again at
    zero when they return, so the saved state never outgrows the team. Those who stay keep
    what they are owed from before the change, so the first cycle after it pays that off
    and the ones after are exact again.

    Score: the rep's credit this call, after earning their weight and before the chosen
    rep pays — the number the choice is made on.
    """

    name = "weighted_round_robin"
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
        saved = _credits(state)
        weights = {c.id: max(1, c.rep.weight) for c in ordered}
        credit = {c.id: saved.get(str(c.id), 0) + weights[c.id] for c in ordered}
        # max() keeps the first of equals, and ``ordered`` is by id: ties go to the lowest id.
        chosen = max(ordered, key=lambda c: credit[c.id])
        total = sum(weights.values())
        after = dict(credit)
        after[chosen.id] -= total
        return Choice(
            rep_id=chosen.id,
            scores={rep_id: float(value) for rep_id, value in credit.items()},
            reason=(
                f"weighted round robin: {chosen.rep.name}, weight {weights[chosen.id]}"
                f" of {total}, credit {credit[chosen.id]}"
            ),
            code="weighted_round_robin",
            params={"weight": weights[chosen.id], "total": total, "credit": credit[chosen.id]},
            new_state={"current": {str(rep_id): value for rep_id, value in after.items()}},
        )

    def option_problems(self, options: Mapping[str, Any]) -> list[str]:
        return unknown_options(options, ())
