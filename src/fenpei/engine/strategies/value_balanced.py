"""Value balanced (金额均衡): the rep holding the least expected value in open customers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from random import Random
from typing import Any

from fenpei.engine.items import WorkItem
from fenpei.engine.model import Choice, RepState
from fenpei.engine.scoring.contract import Affinity
from fenpei.engine.strategies._common import pick_lowest, unknown_options


class ValueBalanced:
    """Balances money rather than head count: ten small leads weigh less than one big deal.
    Equal values go to the rep waiting longest (never assigned first), then the lowest id.

    Score: minus the expected value of the rep's open customers (0 is best).
    """

    name = "value_balanced"
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
        values = {c.id: c.open_value for c in candidates}
        chosen, tied = pick_lowest(candidates, values)
        tie = ", waiting longest among equals" if tied else ""
        return Choice(
            rep_id=chosen.id,
            scores={rep_id: -float(value) for rep_id, value in values.items()},
            reason=f"value balanced: {chosen.open_value:,.2f} open expected value{tie}",
            code="value_balanced",
            params={"value": float(chosen.open_value), "tie": bool(tie)},
        )

    def option_problems(self, options: Mapping[str, Any]) -> list[str]:
        return unknown_options(options, ())
