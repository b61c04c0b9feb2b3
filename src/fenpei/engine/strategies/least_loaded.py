"""Least loaded (最低负荷): the rep with the smallest share of their capacity in use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from random import Random
from typing import Any

from fenpei.engine.items import WorkItem
from fenpei.engine.model import Choice, RepState
from fenpei.engine.scoring.contract import Affinity
from fenpei.engine.strategies._common import (
    default_capacity_problems,
    describe_load,
    load,
    load_params,
    pick_lowest,
    unknown_options,
)


class LeastLoaded:
    """Load is open customers / max_open, so 12 of 40 is busier than 20 of 100; a rep
    without max_open is measured against ``options["default_capacity"]`` (100). Equal loads
    go to the rep waiting longest (never assigned first), then to the lowest id.

    Score: the share of capacity still free, 1 - open/capacity (1.0 = empty).
    """

    name = "least_loaded"
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
        loads = {c.id: load(c, options) for c in candidates}
        chosen, tied = pick_lowest(candidates, loads)
        tie = ", waiting longest among equals" if tied else ""
        return Choice(
            rep_id=chosen.id,
            scores={rep_id: float(1 - share) for rep_id, share in loads.items()},
            reason=f"least loaded: {describe_load(chosen, options)}{tie}",
            code="least_loaded",
            params={**load_params(chosen, options), "tie": bool(tie)},
        )

    def option_problems(self, options: Mapping[str, Any]) -> list[str]:
        return unknown_options(options, ("default_capacity",)) + default_capacity_problems(options)
