"""Tasks, their linked customers, checklist items, comments and history."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.tasks import (
    OPEN_STATUSES,
    ChecklistItem,
    Task,
    TaskComment,
    TaskEvent,
    TaskFilter,
    TaskOrigin,
    TaskPriority,
    TaskStatus,
)
from fenpei.services.ports import RepTaskCounts

_PRIORITY_RANK = sa.case(
    {p.value: p.rank for p in TaskPriority}, value=t.tasks.c.priority, else_=len(TaskPriority)
)


def _where(query: sa.Select[tuple[Task]], f: TaskFilter) -> sa.Select[tuple[Task]]:
    c = t.tasks.c
    if f.assignee_ids is not None:
        query = query.where(c.assignee_id.in_(sorted(set(f.assignee_ids))))
    if f.team_ids is not None:
        query = query.where(c.team_id.in_(sorted(set(f.team_ids))))
    if f.statuses:
        query = query.where(c.status.in_([s.value for s in f.statuses]))
    if f.priorities:
        query = query.where(c.priority.in_([p.value for p in f.priorities]))
    if f.kinds:
        query = query.where(c.kind.in_(sorted(set(f.kinds))))
    if f.customer_id is not None:
        linked = sa.select(t.task_customers.c.task_id).where(
            t.task_customers.c.customer_id == f.customer_id
        )
        query = query.where(c.id.in_(linked))
    if f.due_from is not None:
        query = query.where(c.due_at >= f.due_from)
    if f.due_before is not None:
        query = query.where(c.due_at < f.due_before)
    if f.overdue_at is not None:
        query = query.where(c.status.in_([s.value for s in OPEN_STATUSES]), c.due_at < f.overdue_at)
    if f.visible_rep_ids is not None:
        seen: list[sa.ColumnElement[bool]] = [
            c.assignee_id.in_(sorted(set(f.visible_rep_ids))),
            c.team_id.in_(sorted(set(f.visible_team_ids))),
        ]
        if f.visible_creator_id is not None:
            seen.append(c.created_by_user_id == f.visible_creator_id)
        query = query.where(sa.or_(*seen))
    if f.text.strip():
        needle = f"%{f.text.strip().replace('%', '').replace('_', '')}%"
        query = query.where(sa.or_(c.title.ilike(needle), c.description.ilike(needle)))
    return query


class SqlTasks(Repository):
    def add(self, task: Task) -> None:
        self._add(task)

    def get(self, task_id: int) -> Task | None:
        return self.session.get(Task, task_id)

    def lock(self, task_id: int) -> Task | None:
        """The task, its row locked until the transaction ends (writers of it wait)."""
        query = sa.select(Task).where(t.tasks.c.id == task_id).with_for_update(key_share=True)
        return self.session.scalars(query.execution_options(populate_existing=True)).first()

    def find(
        self, f: TaskFilter, *, order: str = "due", limit: int = 50, offset: int = 0
    ) -> list[Task]:
        """Tasks matching ``f``: by due time (no due date last), then priority, then id;
        ``order="priority"`` puts priority first; ``"new"`` newest first."""
        c = t.tasks.c
        orders: dict[str, Sequence[sa.ColumnElement[Any]]] = {
            "due": (c.due_at.is_(None), c.due_at, _PRIORITY_RANK, c.id),
            "priority": (_PRIORITY_RANK, c.due_at.is_(None), c.due_at, c.id),
            "new": (c.created_at.desc(), c.id.desc()),
        }
        query = _where(sa.select(Task), f).order_by(*orders.get(order, orders["due"]))
        return list(self.session.scalars(query.limit(limit).offset(offset)))

    def held_on(self, owners: Mapping[int, int]) -> list[Task]:
        if not owners:
            return []
        c = t.tasks.c
        query = (
            sa.select(Task)
            .where(
                c.customer_id.in_(sorted(owners)),
                c.assignee_id.in_(sorted(set(owners.values()))),
                c.status.in_([s.value for s in OPEN_STATUSES]),
            )
            .order_by(c.id)
            .with_for_update(key_share=True)
        )
        found = self.session.scalars(query.execution_options(populate_existing=True))
        return [task for task in found if owners.get(task.customer_id or 0) == task.assignee_id]

    def from_origin(self, customer_id: int, origin: TaskOrigin, ref: str) -> list[Task]:
        c = t.tasks.c
        query = sa.select(Task).where(
            c.customer_id == customer_id,
            c.origin == origin.value,
            c.origin_ref == ref,
            c.status.in_([s.value for s in OPEN_STATUSES]),
        )
        return list(self.session.scalars(query.order_by(c.id)))

    def count(self, f: TaskFilter) -> int:
        # select_from: without a filter the count would lose its FROM and answer 1.
        query = _where(sa.select(Task), f).with_only_columns(sa.func.count()).select_from(t.tasks)
        return self.session.scalar(query) or 0

    def link_customers(self, task_id: int, customer_ids: Sequence[int]) -> None:
        """Make ``customer_ids`` (in order, the first the main one) the task's customers."""
        self.session.execute(
            sa.delete(t.task_customers).where(t.task_customers.c.task_id == task_id)
        )
        rows = [
            {"task_id": task_id, "customer_id": cid, "position": position}
            for position, cid in enumerate(dict.fromkeys(customer_ids))
        ]
        if rows:
            self.session.execute(sa.insert(t.task_customers), rows)

    def customer_ids(self, task_ids: Collection[int]) -> dict[int, list[int]]:
        """Each task's linked customers, in their order."""
        if not task_ids:
            return {}
        c = t.task_customers.c
        query = (
            sa.select(c.task_id, c.customer_id)
            .where(c.task_id.in_(sorted(set(task_ids))))
            .order_by(c.task_id, c.position)
        )
        linked: dict[int, list[int]] = {task_id: [] for task_id in task_ids}
        for task_id, customer_id in self.session.execute(query):
            linked[task_id].append(customer_id)
        return linked

    def open_weights(
        self, rep_ids: Collection[int], *, except_task_id: int | None = None
    ) -> dict[int, Decimal]:
        """Each rep's open task weight (effort hours, or 1 a task), 0 for those holding
        none; ``except_task_id`` left out (the task being given)."""
        c = t.tasks.c
        query = (
            sa.select(c.assignee_id, sa.func.sum(sa.func.coalesce(c.effort_hours, 1)))
            .where(
                c.assignee_id.in_(sorted(set(rep_ids))),
                c.status.in_([s.value for s in OPEN_STATUSES]),
            )
            .group_by(c.assignee_id)
        )
        if except_task_id is not None:
            query = query.where(c.id != except_task_id)
        weights = {rep_id: Decimal(0) for rep_id in rep_ids}
        for rep_id, total in self.session.execute(query):
            weights[rep_id] = Decimal(str(total))
        return weights

    # Checklist, comments, history.
    def add_item(self, item: ChecklistItem) -> None:
        self._add(item)

    def items(self, task_id: int) -> list[ChecklistItem]:
        c = t.task_checklist.c
        query = sa.select(ChecklistItem).where(c.task_id == task_id).order_by(c.position, c.id)
        return list(self.session.scalars(query))

    def get_item(self, item_id: int) -> ChecklistItem | None:
        return self.session.get(ChecklistItem, item_id)

    def delete_item(self, item: ChecklistItem) -> None:
        self.session.delete(item)
        self.session.flush()

    def add_comment(self, comment: TaskComment) -> None:
        self._add(comment)

    def comments(self, task_id: int, *, limit: int = 200) -> list[TaskComment]:
        c = t.task_comments.c
        query = sa.select(TaskComment).where(c.task_id == task_id).order_by(c.at, c.id)
        return list(self.session.scalars(query.limit(limit)))

    def add_event(self, event: TaskEvent) -> None:
        self._add(event)

    def history(self, task_id: int, *, limit: int = 200) -> list[TaskEvent]:
        """The task's history, newest first."""
        c = t.task_events.c
        query = (
            sa.select(TaskEvent)
            .where(c.task_id == task_id)
            .order_by(c.at.desc(), c.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    # Statistics.
    def counts_by_rep(
        self, *, since: datetime, until: datetime, now: datetime, rep_ids: Collection[int] | None
    ) -> list[RepTaskCounts]:
        """Each assignee's task figures in one grouped statement (``RepTaskCounts``): done
        means finished in ``[since, until)``."""
        c = t.tasks.c
        is_open = c.status.in_([s.value for s in OPEN_STATUSES])
        done = sa.and_(
            c.status == TaskStatus.done.value, c.completed_at >= since, c.completed_at < until
        )
        with_due = sa.and_(done, c.due_at.is_not(None))

        def total(condition: sa.ColumnElement[bool], value: Any = 1) -> Any:
            return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)

        def counted(column: Any) -> Any:
            return sa.func.count(sa.case((done, column), else_=None))

        if self.session.get_bind().dialect.name == "sqlite":
            seconds: Any = (
                sa.func.julianday(c.completed_at) - sa.func.julianday(c.created_at)
            ) * 86400
        else:
            seconds = sa.func.extract("epoch", c.completed_at - c.created_at)
        query = sa.select(
            c.assignee_id,
            total(is_open),
            total(sa.and_(is_open, c.due_at < now)),
            total(done),
            total(with_due),
            total(sa.and_(with_due, c.completed_at <= c.due_at)),
            total(done, sa.func.coalesce(c.quality, 0)),
            counted(c.quality),
            total(done, sa.func.coalesce(c.satisfaction, 0)),
            counted(c.satisfaction),
            total(done, sa.func.coalesce(c.difficulty, 0)),
            counted(c.difficulty),
            total(done, seconds),
        ).where(c.assignee_id.is_not(None))
        if rep_ids is not None:
            query = query.where(c.assignee_id.in_(sorted(set(rep_ids))))
        rows = self.session.execute(query.group_by(c.assignee_id).order_by(c.assignee_id))
        return [
            RepTaskCounts(
                rep_id=row[0],
                open=int(row[1]),
                overdue=int(row[2]),
                done=int(row[3]),
                done_with_due=int(row[4]),
                done_on_time=int(row[5]),
                quality_sum=int(row[6]),
                quality_count=int(row[7]),
                satisfaction_sum=int(row[8]),
                satisfaction_count=int(row[9]),
                difficulty_sum=int(row[10]),
                difficulty_count=int(row[11]),
                completion_seconds=float(row[12]),
            )
            for row in rows
        ]
