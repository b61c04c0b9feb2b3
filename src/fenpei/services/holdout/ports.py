"""What the holdout report needs from storage (adapters/db/repositories/holdout.py,
tests/fakes/holdout.py)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class ArmTally:
    """Customers routed by ``rule_id`` in ``arm`` that are now in ``stage``, and the sum of
    their expected value."""

    rule_id: int
    arm: str
    stage: str
    customers: int
    value: Decimal


class HoldoutRepository(Protocol):
    def arm_tallies(
        self,
        *,
        since: datetime | None,
        until: datetime | None,
        rep_ids: Collection[int] | None,
        team_ids: Collection[int] | None,
    ) -> list[ArmTally]:
        """Each customer counted once per rule, in the arm of its first assignment by that
        rule with an arm — whatever happened to it after (intention to treat) — if that
        assignment was made in [since, until), tallied by its stage now. With ``rep_ids`` /
        ``team_ids``, only the customers owned by one of those reps or held for one of those
        teams (not deleted)."""
        ...
