"""What the task timers need from storage (adapters/db/repositories/task_timers.py,
tests/fakes/task_timers.py)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from fenpei.domain.task_timers import Stage, TimerPolicy
from fenpei.domain.tasks import Task


class TaskTimerRepository(Protocol):
    def policies(self) -> list[TimerPolicy]:
        """The stored policies (a priority without one uses the default)."""
        ...

    def save_policy(self, policy: TimerPolicy) -> None:
        """Store ``policy`` as its priority's, replacing any before."""
        ...

    def candidates(self, *, now: datetime, after_id: int, limit: int) -> list[Task]:
        """Open tasks with an id above ``after_id``, by id, that may have a timer step
        due: started, due within the reminder horizon, or past due with a step left."""
        ...

    def claim(self, stage: Stage, task_ids: Collection[int], *, now: datetime) -> list[int]:
        """Mark ``stage`` done at ``now`` on those of ``task_ids`` not yet marked
        (conditional: a row marked by another transaction is left); the ids marked."""
        ...

    def origins_enabled(self) -> set[str]:
        """The task origins (``sla``, ``reclaim``) switched on: their warnings make tasks."""
        ...

    def set_origin(self, origin: str, enabled: bool, *, by: str, at: datetime) -> None: ...

    def reassigned(self, task_ids: Collection[int]) -> dict[int, datetime]:
        """When the job reassigned each of ``task_ids`` that it did."""
        ...
