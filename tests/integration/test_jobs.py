"""Scheduled jobs run in one process at a time, on SQLite (file lock) and PostgreSQL
(advisory lock)."""

from __future__ import annotations

import multiprocessing

from fenpei.adapters.db.job_lock import job_lock
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.config import Settings
from fenpei.domain.users import SYSTEM
from fenpei.jobs.queue import retry_queue
from fenpei.services import rules
from fenpei.services.intake import create_and_route
from tests.integration._routing_world import add_rule, build_world


def _try_lock(database_url: str, name: str) -> bool:
    app = bootstrap(Settings(database_url=database_url))
    with job_lock(app.engine, name) as held:
        result = held
    app.close()
    return result


def test_a_second_process_skips_a_job_that_is_running(app: Fenpei) -> None:
    url = app.engine.url.render_as_string(hide_password=False)
    spawn = multiprocessing.get_context("spawn")
    with job_lock(app.engine, "retry-queue") as held:
        assert held
        with spawn.Pool(1) as pool:
            assert pool.apply(_try_lock, (url, "retry-queue")) is False
            assert pool.apply(_try_lock, (url, "another-job")) is True
        assert retry_queue(app) is None
    with spawn.Pool(1) as pool:
        assert pool.apply(_try_lock, (url, "retry-queue")) is True


def test_the_queue_job_routes_what_is_queued(app: Fenpei) -> None:
    world = build_world(app)
    rule = add_rule(app, name="Nobody yet", conditions={}, target={"kind": "queue"})
    with app.uow() as uow:
        _, decision = create_and_route(
            uow=uow,
            rulebook=app.rulebook,
            fields={"name": "Waiting"},
            actor=SYSTEM,
            now=app.now(),
            rng=app.rng(),
        )
        rules.update_rule(
            uow=uow,
            rule_id=rule,
            fields={"target": {"kind": "reps", "rep_ids": [world.carol]}},
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()
    assert decision is not None and decision.outcome.value == "queued"

    assert retry_queue(app) == {"assigned": 1, "pool": 0, "queued": 0}
