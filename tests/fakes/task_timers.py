"""Task timer policies and the task-reminders job's claims, in memory."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from fenpei.domain.task_timers import REMIND_HORIZON, Stage, TimerPolicy
from fenpei.domain.tasks import Task
from tests.fakes.store import Store

_FIELDS = {
    Stage.starting: "started_reminded_at",
    Stage.due_soon: "before_due_reminded_at",
    Stage.due: "due_reminded_at",
    Stage.overdue: "overdue_at",
    Stage.escalated: "escalated_at",
}


@dataclass
class TimerState:
    """What the fake keeps: the policies by priority and the reassignment claims."""

    policies: dict[str, TimerPolicy]
    reassigned: dict[int, datetime]
    origins: set[str]


class FakeTaskTimers:
    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def _state(self) -> TimerState:
        # Kept on the store, so a rolled-back block restores it with everything else.
        state = getattr(self._store, "task_timer_state", None)
        if state is None:
            state = TimerState({}, {}, set())
            self._store.task_timer_state = state  # type: ignore[attr-defined]
        return state

    def policies(self) -> list[TimerPolicy]:
        return [self._state.policies[k] for k in sorted(self._state.policies)]

    def save_policy(self, policy: TimerPolicy) -> None:
        self._state.policies[policy.priority.value] = policy

    def candidates(self, *, now: datetime, after_id: int, limit: int) -> list[Task]:
        found = []
        for task in sorted(self._store.tasks, key=lambda x: x.id or 0):
            if (task.id or 0) <= after_id or not task.is_open:
                continue
            started = task.start_at is not None and task.start_at <= now
            started = started and task.started_reminded_at is None
            due = task.due_at
            soon = due is not None and due <= now + REMIND_HORIZON
            soon = soon and task.before_due_reminded_at is None
            left = (
                due is not None
                and due <= now
                and (
                    None in (task.due_reminded_at, task.overdue_at, task.escalated_at)
                    or task.id not in self._state.reassigned
                )
            )
            if started or soon or left:
                found.append(task)
        return found[:limit]

    def claim(self, stage: Stage, task_ids: Collection[int], *, now: datetime) -> list[int]:
        marked = []
        for task_id in sorted(set(task_ids)):
            task = self._store.tasks.rows.get(task_id)
            if task is None:
                continue
            if stage is Stage.reassigned:
                if task_id not in self._state.reassigned:
                    self._state.reassigned[task_id] = now
                    marked.append(task_id)
            elif getattr(task, _FIELDS[stage]) is None:
                setattr(task, _FIELDS[stage], now)
                marked.append(task_id)
        return marked

    def origins_enabled(self) -> set[str]:
        return set(self._state.origins)

    def set_origin(self, origin: str, enabled: bool, *, by: str, at: datetime) -> None:
        if enabled:
            self._state.origins.add(origin)
        else:
            self._state.origins.discard(origin)

    def reassigned(self, task_ids: Collection[int]) -> dict[int, datetime]:
        return {i: at for i, at in self._state.reassigned.items() if i in task_ids}
