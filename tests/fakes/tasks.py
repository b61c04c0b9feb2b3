"""Tasks, their customers, checklist, comments and history in memory."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from fenpei.domain.tasks import (
    OPEN_STATUSES,
    ChecklistItem,
    Task,
    TaskComment,
    TaskEvent,
    TaskFilter,
    TaskOrigin,
    TaskStatus,
)
from fenpei.services.ports import RepTaskCounts
from tests.fakes.store import Store


class FakeTasks:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, task: Task) -> None:
        self._store.add(self._store.tasks, task)

    def get(self, task_id: int) -> Task | None:
        return self._store.tasks.rows.get(task_id)

    def lock(self, task_id: int) -> Task | None:
        self._store.lock("task", [task_id])
        return self.get(task_id)

    def _matches(self, task: Task, f: TaskFilter) -> bool:
        checks = (
            f.assignee_ids is None or task.assignee_id in set(f.assignee_ids),
            f.team_ids is None or task.team_id in set(f.team_ids),
            not f.statuses or task.status in set(f.statuses),
            not f.priorities or task.priority in set(f.priorities),
            not f.kinds or task.kind in set(f.kinds),
            f.customer_id is None
            or f.customer_id in self._store.task_customers.get(task.id or 0, []),
            f.due_from is None or (task.due_at is not None and task.due_at >= f.due_from),
            f.due_before is None or (task.due_at is not None and task.due_at < f.due_before),
            f.overdue_at is None
            or (
                task.status in OPEN_STATUSES
                and task.due_at is not None
                and task.due_at < f.overdue_at
            ),
            f.visible_rep_ids is None
            or task.assignee_id in set(f.visible_rep_ids)
            or task.team_id in set(f.visible_team_ids)
            or (
                f.visible_creator_id is not None and task.created_by_user_id == f.visible_creator_id
            ),
            not f.text.strip()
            or f.text.strip().casefold() in f"{task.title} {task.description or ''}".casefold(),
        )
        return all(checks)

    def find(
        self, f: TaskFilter, *, order: str = "due", limit: int = 50, offset: int = 0
    ) -> list[Task]:
        found = [task for task in self._store.tasks if self._matches(task, f)]
        if order == "new":
            found.sort(key=lambda t: (t.created_at, t.id or 0), reverse=True)
        elif order == "priority":
            found.sort(key=lambda t: (t.priority.rank, t.due_at is None, t.due_at or t.created_at,
                                      t.id or 0))  # fmt: skip
        else:
            found.sort(key=lambda t: (t.due_at is None, t.due_at or t.created_at, t.priority.rank,
                                      t.id or 0))  # fmt: skip
        return found[offset : offset + limit]

    def held_on(self, owners: Mapping[int, int]) -> list[Task]:
        found = [
            task for task in self._store.tasks
            if task.status in OPEN_STATUSES and task.customer_id in owners
            and owners[task.customer_id] == task.assignee_id
        ]  # fmt: skip
        self._store.lock("task", [task.id or 0 for task in found])
        return sorted(found, key=lambda task: task.id or 0)

    def from_origin(self, customer_id: int, origin: TaskOrigin, ref: str) -> list[Task]:
        found = [
            task for task in self._store.tasks
            if task.customer_id == customer_id and task.origin == origin
            and task.origin_ref == ref and task.status in OPEN_STATUSES
        ]  # fmt: skip
        return sorted(found, key=lambda task: task.id or 0)

    def count(self, f: TaskFilter) -> int:
        return sum(1 for task in self._store.tasks if self._matches(task, f))

    def link_customers(self, task_id: int, customer_ids: Sequence[int]) -> None:
        self._store.task_customers[task_id] = list(dict.fromkeys(customer_ids))

    def customer_ids(self, task_ids: Collection[int]) -> dict[int, list[int]]:
        return {i: list(self._store.task_customers.get(i, [])) for i in task_ids}

    def open_weights(
        self, rep_ids: Collection[int], *, except_task_id: int | None = None
    ) -> dict[int, Decimal]:
        weights = {rep_id: Decimal(0) for rep_id in rep_ids}
        for task in self._store.tasks.rows.values():
            if task.assignee_id in weights and task.is_open and task.id != except_task_id:
                weights[task.assignee_id] += task.weight
        return weights

    def add_item(self, item: ChecklistItem) -> None:
        self._store.add(self._store.task_checklist, item)

    def items(self, task_id: int) -> list[ChecklistItem]:
        mine = [i for i in self._store.task_checklist if i.task_id == task_id]
        return sorted(mine, key=lambda i: (i.position, i.id or 0))

    def get_item(self, item_id: int) -> ChecklistItem | None:
        return self._store.task_checklist.rows.get(item_id)

    def delete_item(self, item: ChecklistItem) -> None:
        self._store.task_checklist.remove(item.id)

    def add_comment(self, comment: TaskComment) -> None:
        self._store.add(self._store.task_comments, comment)

    def comments(self, task_id: int, *, limit: int = 200) -> list[TaskComment]:
        mine = [c for c in self._store.task_comments if c.task_id == task_id]
        return sorted(mine, key=lambda c: (c.at, c.id or 0))[:limit]

    def add_event(self, event: TaskEvent) -> None:
        self._store.add(self._store.task_events, event)

    def history(self, task_id: int, *, limit: int = 200) -> list[TaskEvent]:
        mine = [e for e in self._store.task_events if e.task_id == task_id]
        return sorted(mine, key=lambda e: (e.at, e.id or 0), reverse=True)[:limit]

    def counts_by_rep(
        self, *, since: datetime, until: datetime, now: datetime, rep_ids: Collection[int] | None
    ) -> list[RepTaskCounts]:
        figures: dict[int, dict[str, float]] = {}
        for task in self._store.tasks:
            rep = task.assignee_id
            if rep is None or (rep_ids is not None and rep not in set(rep_ids)):
                continue
            f = figures.setdefault(rep, {})

            def add(name: str, value: float = 1, f: dict[str, float] = f) -> None:
                f[name] = f.get(name, 0) + value

            add("open", 0)
            if task.is_open:
                add("open")
                if task.due_at is not None and task.due_at < now:
                    add("overdue")
            done_at = task.completed_at
            if task.status is not TaskStatus.done or done_at is None:
                continue
            if not since <= done_at < until:
                continue
            add("done")
            if task.due_at is not None:
                add("done_with_due")
                if done_at <= task.due_at:
                    add("done_on_time")
            for name in ("quality", "satisfaction", "difficulty"):
                value = getattr(task, name)
                if value is not None:
                    add(f"{name}_sum", value)
                    add(f"{name}_count")
            add("completion_seconds", (done_at - task.created_at).total_seconds())
        return [
            RepTaskCounts(
                rep_id=rep,
                **{
                    k: (v if k == "completion_seconds" else int(v))  # type: ignore[misc]
                    for k, v in f.items()
                },
            )
            for rep, f in sorted(figures.items())
        ]
