"""The task-reminders job on SQLite and PostgreSQL: two workers running it at the same
moment send each message once — the conditional UPDATE … WHERE <mark> IS NULL RETURNING id
lets only one of them claim each step — and the overdue mark is written by the job."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.jobs.registry import task_reminders
from fenpei.services import org, users
from fenpei.services.customers import create_customer
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput
from fenpei.services.tasks.reminders import TimerRun, run_task_timers
from tests.fakes import FixedClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
TASKS = 6


def _world(app: Fenpei) -> tuple[int, int, int]:
    """A team with a manager, Alice holding TASKS urgent tasks about Bob's customer."""
    now = app.now()
    with app.uow() as uow:
        boss = users.create_user(uow=uow, hasher=app.hasher, username="boss",
                                 password="long enough password", role=Role.manager,
                                 actor=SYSTEM, now=now)  # fmt: skip
        team = org.create_team(uow=uow, name="East", actor=SYSTEM, now=now)
        team.manager_user_id = boss.id
        alice = org.create_rep(uow=uow, fields={"name": "Alice", "team_id": team.id},
                               actor=SYSTEM, now=now)  # fmt: skip
        bob = org.create_rep(uow=uow, fields={"name": "Bob", "team_id": team.id},
                             actor=SYSTEM, now=now)  # fmt: skip
        customer = create_customer(uow=uow, fields={"name": "Acme"}, actor=SYSTEM, now=now)
        customer.owner_id = bob.id
        uow.commit()
    assert alice.id and bob.id and boss.id and customer.id
    for n in range(TASKS):
        with app.uow() as uow:
            data = TaskInput(title=f"Call {n}", priority="urgent", customer_ids=[customer.id],
                             due_at=datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))  # fmt: skip
            create_and_route(uow=uow, actor=SYSTEM, data=data, now=now, assignee_id=alice.id)
            uow.commit()
    return alice.id, bob.id, boss.id


def _events(app: Fenpei, kind: str) -> list[dict[str, object]]:
    e = tables.outbox_events.c
    with app.engine.connect() as connection:
        query = sa.select(e.payload).where(e.type == kind).order_by(e.id)
        return [dict(p) for (p,) in connection.execute(query)]


def test_two_workers_at_once_remind_escalate_and_reassign_each_task_once(
    app: Fenpei, clock: FixedClock
) -> None:
    clock.at = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
    alice, bob, boss = _world(app)
    clock.at = datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)  # 8 business hours past due
    start = threading.Barrier(2)
    runs: list[TimerRun] = []

    def one_worker() -> None:
        start.wait()
        # no job lock here: the conditional updates alone must keep each step single
        runs.append(run_task_timers(uow_factory=app.uow, now=clock.at, batch=4))

    threads = [threading.Thread(target=one_worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    reminders = _events(app, "task.reminder")
    assert sorted(str(p["kind"]) for p in reminders) == ["escalated"] * TASKS + ["overdue"] * TASKS
    assert all(p["user_ids"] == [boss] for p in reminders if p["kind"] == "escalated")
    assert all(p["rep_ids"] == [alice] for p in reminders if p["kind"] == "overdue")
    moved = [p for p in _events(app, "task.assigned") if p["from_rep_id"] == alice]
    assert len(moved) == TASKS and {p["to_rep_id"] for p in moved} == {bob}
    assert sum(r.reassigned for r in runs) == TASKS and sum(r.escalated for r in runs) == TASKS
    t = tables.tasks.c
    with app.engine.connect() as connection:
        rows = connection.execute(sa.select(t.assignee_id, t.overdue_at, t.escalated_at)).all()
    assert {r.assignee_id for r in rows} == {bob}
    assert all(r.overdue_at == clock.at and r.escalated_at == clock.at for r in rows)
    # The scheduled job, run again later, has nothing left to send.
    clock.advance(hours=1)
    assert task_reminders(app).startswith("0 reminded, 0 overdue, 0 escalated, 0 reassigned")
    assert len(_events(app, "task.reminder")) == 2 * TASKS


def test_start_and_before_due_reminders_are_found_by_the_database_query_once(
    app: Fenpei, clock: FixedClock
) -> None:
    clock.at = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
    alice, _, _ = _world(app)  # its tasks are due 1 December 09:00
    with app.uow() as uow:
        data = TaskInput(title="Visit", priority="medium",
                         start_at=datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI),
                         due_at=datetime(2026, 12, 3, 17, 0, tzinfo=SHANGHAI))  # fmt: skip
        create_and_route(uow=uow, actor=SYSTEM, data=data, now=clock.at, assignee_id=alice)
        uow.commit()
    far = run_task_timers(uow_factory=app.uow, now=datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI))
    assert far.reminded == 0
    at_start = datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI)
    run = run_task_timers(uow_factory=app.uow, now=at_start)
    assert run.reminded == TASKS + 1  # the six long overdue, and "Visit" starting
    visit = [p for p in _events(app, "task.reminder") if p["task_title"] == "Visit"]
    assert [p["kind"] for p in visit] == ["starting"]
    soon = datetime(2026, 12, 3, 12, 0, tzinfo=SHANGHAI)  # 12-13 lunch: 4 business hours left
    assert run_task_timers(uow_factory=app.uow, now=soon).reminded == 1
    assert run_task_timers(uow_factory=app.uow, now=soon).reminded == 0
    visit = [p for p in _events(app, "task.reminder") if p["task_title"] == "Visit"]
    assert [p["kind"] for p in visit] == ["starting", "due_soon"]
