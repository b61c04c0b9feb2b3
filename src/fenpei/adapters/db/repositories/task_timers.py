"""Task timer policies, the task-reminders job's candidates and its once-only claims."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.task_timers import REMIND_HORIZON, Stage, TimerPolicy
from fenpei.domain.tasks import OPEN_STATUSES, Task, TaskPriority

_COLUMNS = {
    Stage.starting: "started_reminded_at",
    Stage.due_soon: "before_due_reminded_at",
    Stage.due: "due_reminded_at",
    Stage.overdue: "overdue_at",
    Stage.escalated: "escalated_at",
}


class SqlTaskTimers(Repository):
    def policies(self) -> list[TimerPolicy]:
        c = t.task_timer_policies.c
        rows = self.session.execute(sa.select(t.task_timer_policies).order_by(c.priority))
        return [
            TimerPolicy(
                priority=TaskPriority(row.priority),
                remind_before=row.remind_before,
                overdue_after=row.overdue_after,
                escalate_after=row.escalate_after,
                reassign_after=row.reassign_after,
                updated_by=row.updated_by,
                updated_at=row.updated_at,
            )
            for row in rows
            if row.priority in TaskPriority.__members__
        ]

    def save_policy(self, policy: TimerPolicy) -> None:
        table = t.task_timer_policies
        values = {
            "remind_before": policy.remind_before,
            "overdue_after": policy.overdue_after,
            "escalate_after": policy.escalate_after,
            "reassign_after": policy.reassign_after,
            "updated_by": policy.updated_by,
            "updated_at": policy.updated_at,
        }
        key = policy.priority.value
        changed = self.session.execute(
            sa.update(table).where(table.c.priority == key).values(**values)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            self.session.execute(sa.insert(table).values(priority=key, **values))

    def candidates(self, *, now: datetime, after_id: int, limit: int) -> list[Task]:
        c = t.tasks.c
        past_due_left = sa.or_(
            c.due_reminded_at.is_(None), c.overdue_at.is_(None), c.escalated_at.is_(None),
            c.id.not_in(sa.select(t.task_timer_reassignments.c.task_id)),
        )  # fmt: skip
        query = (
            sa.select(Task)
            .where(
                c.id > after_id,
                c.status.in_([s.value for s in OPEN_STATUSES]),
                sa.or_(
                    sa.and_(c.start_at <= now, c.started_reminded_at.is_(None)),
                    sa.and_(c.due_at <= now + REMIND_HORIZON, c.before_due_reminded_at.is_(None)),
                    sa.and_(c.due_at <= now, past_due_left),
                ),
            )
            .order_by(c.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def claim(self, stage: Stage, task_ids: Collection[int], *, now: datetime) -> list[int]:
        if not task_ids:
            return []
        if stage is Stage.reassigned:
            rows = [{"task_id": task_id, "at": now} for task_id in sorted(set(task_ids))]
            return _inserted(self, rows)
        column = t.tasks.c[_COLUMNS[stage]]
        # Conditional: a row another transaction marked first is neither marked nor
        # returned again, so each step's message is written once.
        statement = (
            sa.update(t.tasks)
            .where(t.tasks.c.id.in_(sorted(set(task_ids))), column.is_(None))
            .values({column: now})
            .returning(t.tasks.c.id)
            .execution_options(synchronize_session=False)
        )
        marked = sorted(self.session.scalars(statement))
        for task in self.session.identity_map.values():  # let loaded tasks show the mark
            if isinstance(task, Task) and task.id in marked:
                sa.orm.attributes.set_committed_value(task, _COLUMNS[stage], now)
        return marked

    # Read once per unit of work: the SLA check and the reclaim warning ask for every
    # clock and customer of a batch (1,000 asked 1,000 times); set here, read again.
    _origins: set[str] | None = None

    def origins_enabled(self) -> set[str]:
        if self._origins is None:
            c = t.task_origin_settings.c
            query = sa.select(c.origin).where(c.enabled.is_(True))
            self._origins = set(self.session.scalars(query))
        return set(self._origins)

    def set_origin(self, origin: str, enabled: bool, *, by: str, at: datetime) -> None:
        self._origins = None
        table = t.task_origin_settings
        values = {"enabled": enabled, "updated_by": by, "updated_at": at}
        changed = self.session.execute(
            sa.update(table).where(table.c.origin == origin).values(**values)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            self.session.execute(sa.insert(table).values(origin=origin, **values))

    def reassigned(self, task_ids: Collection[int]) -> dict[int, datetime]:
        if not task_ids:
            return {}
        c = t.task_timer_reassignments.c
        query = sa.select(c.task_id, c.at).where(c.task_id.in_(sorted(set(task_ids))))
        return {task_id: at for task_id, at in self.session.execute(query)}


def _inserted(repo: SqlTaskTimers, rows: list[dict[str, object]]) -> list[int]:
    """Insert the reassignment claims, ON CONFLICT DO NOTHING: the ids this transaction
    claimed (one another run holds is skipped, waiting for it on PostgreSQL)."""
    dialect = repo.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        t.task_timer_reassignments
    )
    key = t.task_timer_reassignments.c.task_id
    statement = insert.on_conflict_do_nothing().returning(key)
    return sorted(row[0] for row in repo.session.execute(statement, rows))
