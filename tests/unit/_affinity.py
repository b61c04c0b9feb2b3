"""A fixed p(win | customer, rep) for tests: an ``Affinity`` read from a table."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from fenpei.engine.items import WorkItem
from fenpei.engine.scoring.contract import Contribution


@dataclass
class FixedAffinity:
    """p by (customer name, rep id); pairs not in the table get ``default``. ``calls``
    counts the questions asked (the vectorised path asks none)."""

    table: Mapping[tuple[str, int], float] = field(default_factory=dict)
    default: float = 0.0
    of: Callable[[WorkItem, int], float] | None = None  # computed instead of looked up
    calls: int = 0
    algorithm: str = "fixed"

    def _p(self, customer: WorkItem, rep_id: int) -> float:
        if self.of is not None:
            return self.of(customer, rep_id)
        name = getattr(customer, "name", "")
        return self.table.get((name, rep_id), self.default)

    def p_win(self, customer: WorkItem, rep_ids: Sequence[int]) -> Mapping[int, float]:
        self.calls += 1
        return {rep_id: self._p(customer, rep_id) for rep_id in rep_ids}

    def factors(self, customer: WorkItem, rep_id: int, top: int = 3) -> Sequence[Contribution]:
        return (Contribution("fixed", "table", self._p(customer, rep_id)),)[:top]
