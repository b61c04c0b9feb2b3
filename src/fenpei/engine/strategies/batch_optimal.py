"""Batch optimal (批量最优): a batch of customers solved together (``engine.batch_routing``)
to the most expected wins within every capacity; one customer alone, predicted conversion."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fenpei.domain.phrases import Phrase
from fenpei.engine.strategies.predicted_conversion import (
    OPTIONS as _SINGLE_OPTIONS,
)
from fenpei.engine.strategies.predicted_conversion import (
    PredictedConversion,
    option_problems,
)

BOUNDS = ("min_per_rep", "max_per_rep")
OPTIONS = (*_SINGLE_OPTIONS, *BOUNDS)


def bounds(options: Mapping[str, Any]) -> tuple[int, int | None]:
    """The rule's fairness bounds per rep in a batch: (min, max or None)."""
    low, high = options.get("min_per_rep", 0), options.get("max_per_rep")
    low = low if _whole(low) else 0
    return low, high if _whole(high) else None


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class BatchOptimal(PredictedConversion):
    """Routing a batch (an import, the queue, a redistribution of a pool), the customers
    whose rule runs this strategy are placed together by a min-cost flow: as many as the
    reps' room allows, then the greatest sum of p(win) (× expected value with
    ``weigh_value``), within each rep's capacity and the optional ``min_per_rep`` /
    ``max_per_rep`` customers per rep in the batch. One customer alone (arriving by API,
    say) is routed as predicted conversion routes it, with the same ``load_weight``.

    Score: as predicted conversion's, value × (p − λ × load).
    """

    name = "batch_optimal"

    def option_problems(self, options: Mapping[str, Any]) -> list[str]:
        problems = option_problems(options, OPTIONS)
        for name in BOUNDS:
            if name in options and not _whole(options[name]):
                text = "{name}: must be a whole number ≥ 0, got {got!r}"
                problems.append(Phrase("optimal.bound", text, name=name, got=options[name]))
        low, high = options.get("min_per_rep"), options.get("max_per_rep")
        if _whole(low) and _whole(high) and low > high:  # type: ignore[operator]
            text = "min_per_rep: must not exceed max_per_rep ({low} > {high})"
            problems.append(Phrase("optimal.bounds_order", text, low=low, high=high))
        return problems
