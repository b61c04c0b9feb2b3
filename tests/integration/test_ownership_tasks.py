"""A customer's open tasks follow it on every path that changes its owner
(``test_ownership_events.PATHS``), on SQLite and PostgreSQL: to a new owner, the previous
owner's tasks on it go along; to a pool, the tasks the system made for the previous owner
are cancelled and the ones a person made stay. A colleague's task on it stays put.

Each customer a path starts from an owner (``ow.owned_by``: Bob) gets three open tasks
first: an SLA one and a hand-made one of Bob's, and a hand-made one of Carol's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.domain.tasks import TaskOrigin
from fenpei.domain.users import SYSTEM
from fenpei.services.tasks.records import TaskInput, create_task, give_task
from tests.integration import _ownership_world as ow
from tests.integration._routing_world import World, build_world
from tests.integration.test_ownership_events import PATHS

# The paths whose customer had an owner before (made by ``ow.owned_by``); the others start
# from nobody, so nothing of anyone's follows.
FROM_AN_OWNER = {"transfer", "return to the pool", "reclaim", "reroute"}


@dataclass(frozen=True)
class Held:
    system_made: int  # Bob's, from an SLA reminder
    by_hand: int  # Bob's, made by a person
    colleague: int  # Carol's, made by a person


def _task(app: Fenpei, customer_id: int, rep_id: int, origin: TaskOrigin) -> int:
    with app.uow() as uow:
        data = TaskInput(title=f"{origin} {customer_id}", customer_ids=[customer_id], origin=origin)
        task = create_task(uow=uow, actor=SYSTEM, data=data, now=app.now())
        give_task(uow=uow, task=task, rep_id=rep_id, actor=SYSTEM, now=app.now())
        uow.commit()
    assert task.id is not None
    return task.id


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[int, Held]]:
    """Customer id → the tasks made on it when ``ow.owned_by`` gave it to Bob."""
    made: dict[int, Held] = {}
    owned_by = ow.owned_by

    def with_tasks(app: Fenpei, world: World, name: str) -> int:
        customer_id = owned_by(app, world, name)
        made[customer_id] = Held(
            _task(app, customer_id, world.bob, TaskOrigin.sla),
            _task(app, customer_id, world.bob, TaskOrigin.manual),
            _task(app, customer_id, world.carol, TaskOrigin.manual),
        )
        return customer_id

    monkeypatch.setattr(ow, "owned_by", with_tasks)
    yield made


def _tasks(app: Fenpei) -> dict[int, tuple[int | None, str]]:
    """Task id → (assignee, status)."""
    c = tables.tasks.c
    with app.engine.connect() as connection:
        rows = connection.execute(sa.select(c.id, c.assignee_id, c.status))
        return {row.id: (row.assignee_id, row.status) for row in rows}


@pytest.mark.parametrize("path", list(PATHS))
def test_the_previous_owners_open_tasks_follow_the_customer(
    app: Fenpei, tmp_path: Path, path: str, held: dict[int, Held]
) -> None:
    world = build_world(app)

    expected = PATHS[path](app, world, tmp_path)

    tasks = _tasks(app)
    followed = [cid for cid in expected.customer_ids if cid in held]
    assert bool(followed) == (path in FROM_AN_OWNER), path
    for customer_id in followed:
        mine = held[customer_id]
        to = expected.to_rep_ids[expected.customer_ids.index(customer_id)]
        if to is not None:  # both of Bob's go to the new owner, open
            assert tasks[mine.system_made] == (to, "todo"), path
            assert tasks[mine.by_hand] == (to, "todo"), path
        else:  # to a pool: the system's is cancelled, the hand-made one stays Bob's
            assert tasks[mine.system_made] == (world.bob, "cancelled"), path
            assert tasks[mine.by_hand] == (world.bob, "todo"), path
        assert tasks[mine.colleague] == (world.carol, "todo"), path
    history = _task_history(app, [h.system_made for h in held.values()])
    assert all(kinds.count("reassigned") + kinds.count("status") <= 1 for kinds in history)


def _task_history(app: Fenpei, task_ids: list[int]) -> list[list[str]]:
    """Each task's history after it was first given (what the change wrote: once)."""
    e = tables.task_events.c
    with app.engine.connect() as connection:
        return [
            list(connection.scalars(sa.select(e.kind).where(e.task_id == i).order_by(e.id)))[2:]
            for i in task_ids
        ]
