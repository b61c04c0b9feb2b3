"""Workers in separate processes on one PostgreSQL database (the production shape), with a
real local DingTalk-style receiver that checks every signature:

- two `fenpei worker` processes deliver every message, and a worker killed with SIGKILL in
  the middle of its batch loses nothing — its leases run out (the recovery round runs on a
  clock moved past them, no sleeping) and another worker delivers what it held;
- two processes racing through the same job slots run each slot once.

On SQLite one writer at a time makes these races impossible, so they run on PostgreSQL only.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables
from fenpei.adapters.notify import build_outlets
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.config import Settings
from fenpei.domain.events import DeliveryStatus
from fenpei.domain.users import SYSTEM
from fenpei.services.assignments import bulk_assign
from fenpei.services.customers import create_customer
from fenpei.services.notifications.dispatch import deliver_due
from fenpei.services.scheduling import Job, run_due
from tests.conftest import create_pg_database, drop_pg_database
from tests.integration._receivers import RobotReceiver
from tests.integration._routing_world import build_world

pytestmark = pytest.mark.postgres

SECRET = "SEC-workers-test"
MESSAGES = 400


@pytest.fixture
def receiver() -> Iterator[RobotReceiver]:
    running = RobotReceiver(dingtalk_secret=SECRET, feishu_secret="-", sms_token="-")
    yield running
    running.close()


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """PostgreSQL only (this module's races need a database with more than one writer)."""
    admin_url = request.getfixturevalue("postgres_admin_url")
    url = create_pg_database(admin_url)
    yield url
    drop_pg_database(admin_url, url)


@pytest.fixture
def pg_app(app: Fenpei) -> Fenpei:
    return app


def _robots(receiver: RobotReceiver) -> str:
    url = receiver.url("/dingtalk/send?access_token=dt-token")
    return json.dumps([{"name": "sales", "kind": "dingtalk", "url": url, "secret": SECRET}])


def _worker(url: str, robots: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FENPEI_DATABASE_URL": url, "FENPEI_ROBOTS": robots}
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("fenpei")), "worker", "--poll", "0.2"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _statuses(app: Fenpei) -> Counter[str]:
    with app.engine.connect() as connection:
        c = tables.deliveries.c
        rows = connection.execute(sa.select(c.status, sa.func.count()).group_by(c.status))
        return Counter({status: n for status, n in rows})


def _leased_by(app: Fenpei, pid: int | None) -> int:
    """Deliveries leased to the worker of process ``pid`` and not yet marked."""
    with app.engine.connect() as connection:
        c = tables.deliveries.c
        query = sa.select(sa.func.count()).where(
            c.status == DeliveryStatus.sending, c.lease_owner.like(f"%:{pid}:%")
        )
        return int(connection.scalar(query) or 0)


def _wait_for(check: object, what: str, *, deadline_s: float = 120) -> None:
    """Poll until ``check()`` holds; waiting for work to happen, not measuring time."""
    give_up = time.monotonic() + deadline_s
    while not check():  # type: ignore[operator]
        if time.monotonic() > give_up:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_two_workers_deliver_everything_and_a_killed_one_loses_nothing(
    pg_app: Fenpei, receiver: RobotReceiver, tmp_path: Path
) -> None:
    world = build_world(pg_app)
    with pg_app.uow() as uow:
        ids = [
            create_customer(
                uow=uow, fields={"name": f"Lead {n}"}, actor=SYSTEM, now=pg_app.now()
            ).id
            or 0
            for n in range(MESSAGES)
        ]
        bulk_assign(
            uow=uow,
            customer_ids=ids,
            rep_ids=[world.alice, world.carol],
            actor=SYSTEM,
            now=pg_app.now(),
        )
        uow.commit()
    url = pg_app.engine.url.render_as_string(hide_password=False)
    robots = _robots(receiver)
    doomed = _worker(url, robots, tmp_path / "doomed.log")
    survivor = _worker(url, robots, tmp_path / "survivor.log")
    try:
        _wait_for(lambda: len(receiver.hits) >= MESSAGES // 8, "the first messages")
        receiver.hold()  # every send now waits: a worker holding leases stays holding them
        _wait_for(lambda: _leased_by(pg_app, doomed.pid) > 0, "the doomed worker's batch")
        doomed.send_signal(signal.SIGKILL)  # mid-batch: it holds leases it will never mark
        doomed.wait()
        earlier = receiver.hits
        receiver.reset()  # let the sends go on (a fresh list of hits from here)

        def settled() -> bool:
            statuses = _statuses(pg_app)
            held = _leased_by(pg_app, doomed.pid)
            return statuses["delivered"] + held == MESSAGES

        _wait_for(settled, "the survivor to deliver all it can")
    finally:
        for process in (doomed, survivor):
            process.kill()
            process.wait()
    stranded = _statuses(pg_app)["sending"]
    assert stranded == _leased_by(pg_app, doomed.pid) > 0

    # Later (the clock moved past the leases), any worker recovers what the dead one held.
    later = datetime.now(UTC) + timedelta(minutes=5)
    settings = Settings(database_url=url, robots=json.loads(robots))
    report = deliver_due(
        uow_factory=pg_app.uow,
        outlets=build_outlets(settings),
        now=lambda: later,
        worker="recovery",
        rng=Random(1),
        limit=MESSAGES,
    )

    assert report.delivered == stranded
    assert _statuses(pg_app) == Counter({DeliveryStatus.delivered.value: MESSAGES})
    signed = [hit for hit in earlier + receiver.hits if hit.kind == "dingtalk"]
    keys = Counter(unquote(hit.headers["X-Fenpei-Dedupe-Key"]) for hit in signed)
    assert len(keys) == MESSAGES, "every message reached the receiver"
    # A message the dead worker sent but could not mark is sent again, with the same key,
    # so the receiver drops it; nothing else is ever sent twice.
    repeats = sum(n - 1 for n in keys.values())
    assert repeats <= stranded
    assert all(f"Lead {n}" in "".join(str(hit.body) for hit in signed) for n in (0, MESSAGES - 1))


def _race_slots(url: str, base: str, log: str, slots: int) -> int:
    app = bootstrap(Settings(database_url=url))

    def append() -> str:
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        return "ran"

    job = Job(name="count", every=timedelta(minutes=1), run=append)
    start, ran = datetime.fromisoformat(base), 0
    for n in range(slots):
        moment = start + timedelta(minutes=n)
        ran += len(run_due(uow_factory=app.uow, jobs=[job], now=lambda at=moment: at, worker="p"))
    app.close()
    return ran


def test_two_processes_run_each_job_slot_once(pg_app: Fenpei, tmp_path: Path) -> None:
    url = pg_app.engine.url.render_as_string(hide_password=False)
    log = tmp_path / "runs.log"
    slots = 40
    base = datetime(2026, 12, 1, tzinfo=UTC).isoformat()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        ran = pool.starmap(_race_slots, [(url, base, str(log), slots)] * 2)

    assert sum(ran) == slots
    assert len(log.read_text().splitlines()) == slots
    with pg_app.engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(tables.job_runs)) == slots
