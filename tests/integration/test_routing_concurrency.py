"""Routing under concurrent requests: 2 processes x 8 threads on one database."""

from __future__ import annotations

import multiprocessing
from collections import Counter

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.services import customers, org
from tests.integration._routing_workers import route_share
from tests.integration._routing_world import add_rule, build_world

PROCESSES = 2
THREADS = 8


def _seed_unrouted(app: Fenpei, count: int) -> list[int]:
    with app.uow() as uow:
        made = [
            customers.create_customer(
                uow=uow, fields={"name": f"C{i}", "region": "East"}, actor=SYSTEM, now=app.now()
            )
            for i in range(count)
        ]
        uow.commit()
    return [c.id for c in made if c.id is not None]


def _run(app: Fenpei, ids: list[int]) -> list[str]:
    url = app.engine.url.render_as_string(hide_password=False)
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        results = pool.starmap(
            route_share, [(url, ids[i::PROCESSES], THREADS) for i in range(PROCESSES)]
        )
    return [error for errors in results for error in errors]


def _owners(app: Fenpei) -> tuple[Counter[int | None], int]:
    with app.engine.connect() as connection:
        owners = Counter(connection.scalars(sa.select(t.customers.c.owner_id)).all())
        records = connection.scalar(sa.select(sa.func.count()).select_from(t.assignments)) or 0
    return owners, records


@pytest.mark.slow
def test_round_robin_stays_fair_and_nobody_is_assigned_twice(app: Fenpei) -> None:
    world = build_world(app)
    add_rule(
        app,
        name="East",
        conditions={"field": "region", "op": "eq", "value": "East"},
        target={"kind": "reps", "rep_ids": [world.alice, world.bob, world.carol, world.dan]},
    )
    ids = _seed_unrouted(app, 160)

    errors = _run(app, ids)

    owners, records = _owners(app)
    assert errors == []
    assert owners[None] == 0 and records == 160  # each customer routed exactly once
    counts = [owners[rep] for rep in (world.alice, world.bob, world.carol, world.dan)]
    assert max(counts) - min(counts) <= 1, counts


@pytest.mark.slow
def test_no_rep_goes_over_capacity_and_the_rest_wait_in_the_queue(app: Fenpei) -> None:
    world = build_world(app)
    with app.uow() as uow:
        for rep in (world.alice, world.bob):
            org.update_rep(uow=uow, rep_id=rep, fields={"max_open": 5}, actor=SYSTEM, now=app.now())
        uow.commit()
    add_rule(
        app,
        name="East",
        conditions={"field": "region", "op": "eq", "value": "East"},
        target={"kind": "team", "team_id": world.east},
        strategy="least_loaded",
        fallback="queue",
    )
    ids = _seed_unrouted(app, 40)

    errors = _run(app, ids)

    owners, records = _owners(app)
    assert errors == []
    assert owners[world.alice] == owners[world.bob] == 5
    assert owners[None] == 30 and records == 10
    with app.engine.connect() as connection:
        queued = connection.scalar(
            sa.select(sa.func.count()).where(t.customers.c.queued_at.is_not(None))
        )
    assert queued == 30
