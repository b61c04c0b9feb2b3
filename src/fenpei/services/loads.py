"""Reps' kept loads against the records: find drift, and repair it.

Loads are counters moved in the transaction of every ownership change (see
``adapters/db/repositories/loads.py``). Nothing should ever make them drift, but a write
made outside fenpei (a hand-edited row, a restore of one table) could: the
``loads-reconcile`` job and ``fenpei doctor`` recount them from the records and report or
repair the difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fenpei.services.ports import RepLoad, UnitOfWork


@dataclass(frozen=True)
class Drift:
    """A rep whose kept load differs from what the records say."""

    rep_id: int
    kept: RepLoad
    counted: RepLoad

    def describe(self) -> str:
        kept, counted = self.kept, self.counted
        parts = [
            f"{what} {getattr(kept.usage, name)} → {getattr(counted.usage, name)}"
            for name, what in (
                ("open_count", "open"),
                ("received_day", "today"),
                ("received_week", "this week"),
                ("received_month", "this month"),
            )
            if getattr(kept.usage, name) != getattr(counted.usage, name)
        ]
        if kept.open_value != counted.open_value:
            parts.append(f"open value {kept.open_value} → {counted.open_value}")
        if kept.last_assigned_at != counted.last_assigned_at:
            parts.append("last received")
        return f"rep {self.rep_id}: " + ", ".join(parts)


@dataclass(frozen=True)
class LoadCheck:
    reps: int
    drifts: list[Drift]
    repaired: bool

    def summary(self) -> str:
        if not self.drifts:
            return f"{self.reps} reps' loads match the records"
        done = "repaired" if self.repaired else "not repaired"
        return f"{len(self.drifts)} of {self.reps} reps' loads differed from the records ({done})"


def check_loads(*, uow: UnitOfWork, now: datetime, repair: bool = False) -> LoadCheck:
    """Recount every rep's load from the records and compare it with the kept one; with
    ``repair``, overwrite what differs (the caller commits). While repairing, ownership
    changes wait for this unit of work, so none is lost between the count and the write."""
    counted = uow.routing.recount_loads(now=now, lock=repair)
    kept = uow.routing.loads(now=now, rep_ids=counted.keys())
    drifts = [
        Drift(rep_id, kept[rep_id], load)
        for rep_id, load in sorted(counted.items())
        if _differs(kept[rep_id], load)
    ]
    if repair and drifts:
        uow.routing.store_loads(now=now, loads={d.rep_id: d.counted for d in drifts})
    return LoadCheck(len(counted), drifts, repair)


def _differs(kept: RepLoad, counted: RepLoad) -> bool:
    return (
        kept.usage != counted.usage
        or kept.open_value != counted.open_value
        or kept.last_assigned_at != counted.last_assigned_at
    )
