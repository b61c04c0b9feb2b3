"""Tasks on a real database (SQLite and PostgreSQL): stored, linked, filtered and ordered."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.tasks import TaskFilter, TaskPriority, TaskStatus
from fenpei.domain.users import SYSTEM
from fenpei.services import assignments, customers, org
from fenpei.services.categories import ensure_default_categories
from fenpei.services.tasks import workflow
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput


def _world(app: Fenpei) -> tuple[int, int]:
    """A rep owning one customer: (rep id, customer id)."""
    with app.uow() as uow:
        ensure_default_categories(uow=uow, actor=SYSTEM, now=app.now())
        rep = org.create_rep(uow=uow, fields={"name": "王芳"}, actor=SYSTEM, now=app.now())
        customer = customers.create_customer(
            uow=uow, fields={"name": "上海某某科技"}, actor=SYSTEM, now=app.now()
        )
        assert rep.id is not None and customer.id is not None
        assignments.assign(
            uow=uow, customer_id=customer.id, rep_id=rep.id, actor=SYSTEM, now=app.now()
        )
        uow.commit()
        return rep.id, customer.id


def _task(app: Fenpei, **fields: object) -> int:
    with app.uow() as uow:
        task = create_and_route(
            uow=uow,
            actor=SYSTEM,
            data=TaskInput(**fields),
            now=app.now(),  # type: ignore[arg-type]
        )
        uow.commit()
        assert task.id is not None
        return task.id


def test_tasks_are_linked_filtered_and_ordered_by_due_then_priority(app: Fenpei) -> None:
    rep_id, customer_id = _world(app)
    now = app.now()
    later = _task(app, title="合同", customer_ids=[customer_id], due_at=now + timedelta(days=2),
                  priority="low", effort_hours="1.5", checklist=["起草", "盖章"])  # fmt: skip
    urgent = _task(app, title="回电", customer_ids=[customer_id], due_at=now + timedelta(days=2),
                   priority="urgent", recurrence={"kind": "monthly", "day": 31})  # fmt: skip
    late = _task(app, title="报价", customer_ids=[customer_id], due_at=now - timedelta(hours=1))
    loose = _task(app, title="整理名片")

    with app.uow() as uow:
        mine = TaskFilter(assignee_ids=[rep_id])
        assert [x.id for x in uow.tasks.find(mine)] == [late, urgent, later]
        by_priority = uow.tasks.find(TaskFilter(), order="priority")
        assert [x.id for x in by_priority][:2] == [urgent, late]
        assert uow.tasks.count(TaskFilter(customer_id=customer_id)) == 3
        assert [x.id for x in uow.tasks.find(TaskFilter(overdue_at=now))] == [late]
        assert [x.id for x in uow.tasks.find(TaskFilter(text="名片"))] == [loose]
        assert uow.tasks.count(TaskFilter(assignee_ids=[])) == 0
        stored = uow.tasks.get(later)
        assert stored is not None and str(stored.effort_hours) == "1.50"
        assert stored.priority is TaskPriority.low and stored.due_at is not None
        assert stored.due_at.tzinfo is not None
        assert [i.text for i in uow.tasks.items(later)] == ["起草", "盖章"]
        repeating = uow.tasks.get(urgent)
        assert repeating is not None and repeating.recurrence == {
            "kind": "monthly", "every": 1, "weekdays": [], "day": 31, "business_days_only": False,
        }  # fmt: skip
        assert uow.tasks.customer_ids([later, loose]) == {later: [customer_id], loose: []}


def test_a_refused_change_writes_nothing_and_history_reads_newest_first(app: Fenpei) -> None:
    _world(app)
    task_id = _task(app, title="拜访")
    with app.engine.connect() as connection:
        before = connection.scalar(sa.select(sa.func.count()).select_from(t.task_events))

    with app.uow() as uow:
        try:
            workflow.change_status(
                uow=uow, actor=SYSTEM, task_id=task_id, status="blocked", now=app.now()
            )
        except ValidationFailed as exc:
            assert [e.field for e in exc.errors] == ["reason"]
        uow.commit()
    with app.engine.connect() as connection:
        after = connection.scalar(sa.select(sa.func.count()).select_from(t.task_events))
    assert after == before

    with app.uow() as uow:
        workflow.change_status(
            uow=uow, actor=SYSTEM, task_id=task_id, status="in_progress", now=app.now()
        )
        uow.commit()
    with app.uow() as uow:
        history = uow.tasks.history(task_id)
        stored = uow.tasks.get(task_id)
    assert [e.kind.value for e in history] == ["status", "created"]
    assert history[0].detail["to_status"] == "in_progress"
    assert stored is not None and stored.status is TaskStatus.in_progress
