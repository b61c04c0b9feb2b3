"""Task routing on real databases: task loads read by SQL, the task rule book kept apart
from the customers', and task capacity exact under concurrent creation on PostgreSQL
(2 processes x 8 threads creating tasks for a team of four with small task capacities,
half routed by a rule, half given by hand).

SQLite serialises writers (``BEGIN IMMEDIATE``), so only PostgreSQL runs the race.
"""

from __future__ import annotations

import multiprocessing
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.services import customers, org
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput
from tests.integration._routing_world import add_rule, build_world
from tests.integration._task_workers import TaskRaceReport, create_tasks, join_the_race

PROCESSES = 2
THREADS = 8  # per process: 16 creating at once
PER_THREAD = 6
RACE_TIMEOUT = 180  # seconds; a deadlock fails the test instead of hanging it
CAPACITIES = {"Tia": "3", "Uma": "2.5", "Vic": "4", "Wes": "1"}

on_both = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
on_postgres = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _task(app: Fenpei, **fields: Any) -> dict[str, Any]:
    with app.uow() as uow:
        task = create_and_route(
            uow=uow, actor=SYSTEM, data=TaskInput(**{"title": "T", **fields}), now=app.now()
        )
        uow.commit()
        return {"assignee_id": task.assignee_id, "decision": task.decision}


@on_both
def test_task_rules_route_tasks_and_leave_customers_alone(app: Fenpei) -> None:
    world = build_world(app)
    add_rule(app, name="Urgent tasks to Bob", subject="task",
             conditions={"field": "task.priority", "op": "eq", "value": "urgent"},
             target={"kind": "reps", "rep_ids": [world.bob]})  # fmt: skip
    with app.uow() as uow:
        org.update_rep(uow=uow, rep_id=world.bob, fields={"task_capacity": "1.5"},
                       actor=SYSTEM, now=app.now())  # fmt: skip
        customer = customers.create_customer(
            uow=uow, fields={"name": "Lead", "region": "East"}, actor=SYSTEM, now=app.now()
        )
        uow.commit()

    first = _task(app, priority="urgent", effort_hours="1")
    second = _task(app, priority="urgent", effort_hours="1")  # 2 > 1.5: stays unassigned
    with app.uow() as uow:
        assert customer.id is not None
        owner = uow.customers.get(customer.id)
        assert owner is not None and owner.owner_id is None  # no task rule routed it

    assert first["assignee_id"] == world.bob
    assert second["assignee_id"] is None
    assert second["decision"]["exclusions"][0]["reason"] == (
        "at capacity: 1/1.5 open task weight (+1)"
    )


@on_postgres
def test_task_capacity_is_never_exceeded_under_concurrent_creation(app: Fenpei) -> None:
    now = app.now()
    with app.uow() as uow:
        team = org.create_team(uow=uow, name="Small team", actor=SYSTEM, now=now)
        reps = {
            name: org.create_rep(uow=uow, fields={"name": name, "team_id": team.id,
                                 "task_capacity": capacity}, actor=SYSTEM, now=now).id
            for name, capacity in CAPACITIES.items()
        }  # fmt: skip
        uow.commit()
    add_rule(app, name="Small team", subject="task", strategy="least_loaded",
             target={"kind": "team", "team_id": team.id})  # fmt: skip

    report = _race(app, [rep_id for rep_id in reps.values() if rep_id is not None])

    assert report.errors == []
    assert report.created + report.refused == PROCESSES * THREADS * PER_THREAD
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(t.tasks.c.assignee_id, t.tasks.c.effort_hours, t.tasks.c.decision)
        ).all()
    assert len(rows) == report.created
    held: dict[int, Decimal] = {}
    for assignee, effort, _ in rows:
        if assignee is not None:
            held[assignee] = held.get(assignee, Decimal(0)) + (effort or Decimal(1))
    over = {
        name: held.get(rep_id or 0, Decimal(0))
        for name, rep_id in reps.items()
        if held.get(rep_id or 0, Decimal(0)) > Decimal(CAPACITIES[name])
    }
    assert over == {}
    # Demand (96 tasks) far beyond the team's 10.5 hours: capacity was what bound.
    assert sum(held.values()) > Decimal(8)
    unassigned = [decision for assignee, _, decision in rows if assignee is None]
    assert unassigned, "the team should have filled up"
    assert all(d is not None and d["outcome"] != "assigned" and d["text"] for d in unassigned)


def _race(app: Fenpei, rep_ids: list[int]) -> TaskRaceReport:
    url = app.engine.url.render_as_string(hide_password=False)
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(PROCESSES * THREADS)
    with spawn.Pool(PROCESSES, initializer=join_the_race, initargs=(start,)) as pool:
        reports = pool.starmap_async(
            create_tasks,
            [(url, process, THREADS, PER_THREAD, rep_ids) for process in range(PROCESSES)],
            chunksize=1,
        ).get(timeout=RACE_TIMEOUT)
    return TaskRaceReport(
        created=sum(r.created for r in reports),
        refused=sum(r.refused for r in reports),
        errors=[error for r in reports for error in r.errors],
    )
