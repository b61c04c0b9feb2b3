"""Reps' loads are kept counters that always equal what the records say, on SQLite and
PostgreSQL: after every path that changes an owner, after every other write that changes a
holding (stage, value, deletion, history import), across the rep's local midnight and a
change of time zone. Drift made behind fenpei's back is found and repaired by `fenpei
doctor` and the loads-reconcile job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from fenpei.adapters.db import tables
from fenpei.adapters.maven import read_maven
from fenpei.bootstrap import Fenpei
from fenpei.cli.main import app as cli
from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.users import SYSTEM
from fenpei.engine.capacity import Usage
from fenpei.jobs.registry import reconcile_loads
from fenpei.services import org
from fenpei.services.customers import delete_customer, update_customer
from fenpei.services.loads import check_loads
from fenpei.services.maven_import import import_maven
from fenpei.services.ports import RepLoad
from tests.conftest import MAVEN_DIR
from tests.fakes import FixedClock
from tests.integration._ownership_paths import owners
from tests.integration._ownership_world import customer as _customer
from tests.integration._ownership_world import give as _give
from tests.integration._routing_world import World, build_world
from tests.integration.test_ownership_events import PATHS


def _kept(app: Fenpei, *rep_ids: int, now: datetime | None = None) -> dict[int, RepLoad]:
    with app.uow(read_only=True) as uow:
        return uow.routing.loads(now=now or app.now(), rep_ids=rep_ids)


def _assert_no_drift(app: Fenpei) -> None:
    with app.uow(read_only=True) as uow:
        check = check_loads(uow=uow, now=app.now())
    assert check.drifts == [], [d.describe() for d in check.drifts]


@pytest.mark.parametrize("path", list(PATHS))
def test_every_ownership_path_moves_the_counters_as_the_records_say(
    app: Fenpei, tmp_path: Path, path: str
) -> None:
    world = build_world(app)
    everyone = (world.alice, world.bob, world.carol, world.dan)
    before = _kept(app, *everyone)

    expected = PATHS[path](app, world, tmp_path)

    # The import runs in a CLI process of its own, on the wall clock.
    now = datetime.now(UTC) if path == "file import" else app.now()
    after = _kept(app, *everyone, now=now)
    gained = {rep: after[rep].usage.open_count - before[rep].usage.open_count for rep in everyone}
    receivers = [rep for rep in expected.to_rep_ids if rep is not None]
    # A merge gives the survivor to the owner of the customer merged away: it holds one
    # more and one less, so what a rep holds now is checked, and the kept counts against
    # the records (no drift) below.
    assert owners(app, expected.customer_ids) == expected.to_rep_ids, path
    for rep in set(receivers):
        assert after[rep].usage.open_count >= receivers.count(rep), (path, rep, gained)
        assert after[rep].usage.received_day >= receivers.count(rep)
        assert after[rep].last_assigned_at is not None
        assert abs(after[rep].last_assigned_at - now) < timedelta(minutes=5)
    _assert_no_drift(app)


def test_edits_that_close_reopen_revalue_or_delete_a_customer_move_the_holdings(
    app: Fenpei,
) -> None:
    world = build_world(app)
    first, second = _customer(app, "First"), _customer(app, "Second")
    for customer_id in (first, second):
        _give(app, customer_id, world.alice)

    def edit(customer_id: int, **fields: object) -> None:
        with app.uow() as uow:
            update_customer(
                uow=uow, customer_id=customer_id, fields=fields, actor=SYSTEM, now=app.now()
            )
            uow.commit()

    def held() -> tuple[int, Decimal]:
        load = _kept(app, world.alice)[world.alice]
        return load.usage.open_count, load.open_value

    edit(first, expected_value="1200.50")
    assert held() == (2, Decimal("1200.50"))
    edit(second, expected_value="99.50")
    edit(first, expected_value="200.50")
    assert held() == (2, Decimal("300.00"))
    edit(first, stage="won")
    assert held() == (1, Decimal("99.50"))
    edit(first, stage="qualified")
    assert held() == (2, Decimal("300.00"))
    with app.uow() as uow:
        delete_customer(uow=uow, customer_id=second, actor=SYSTEM, now=app.now())
        uow.commit()
    assert held() == (1, Decimal("200.50"))
    # Intake is what was received: closing or deleting takes nothing back from it.
    assert _kept(app, world.alice)[world.alice].usage.received_day == 2
    _assert_no_drift(app)
    with app.engine.begin() as connection:  # a hard delete, as a retention job would
        a, c = tables.assignments, tables.customers
        connection.execute(sa.delete(a).where(a.c.customer_id == first))
        connection.execute(sa.delete(c).where(c.c.id == first))
    assert held() == (0, Decimal(0))


def test_a_maven_history_import_counts_only_its_open_deals_and_this_months_intake(
    app: Fenpei,
) -> None:
    with app.uow() as uow:
        import_maven(uow=uow, data=read_maven(MAVEN_DIR), actor=SYSTEM, now=app.now())
        uow.commit()
    with app.uow(read_only=True) as uow:
        kept = uow.routing.loads(now=app.now())
    assert sum(load.usage.open_count for load in kept.values()) > 1_000
    _assert_no_drift(app)


def test_intake_starts_again_at_the_reps_local_midnight_and_a_new_zone_recounts(
    app: Fenpei, clock: FixedClock
) -> None:
    world = build_world(app)  # reps are in Asia/Shanghai
    clock.advance(hours=6)  # Monday 2 November, 15:30 UTC: 23:30 in Shanghai
    for name in ("Late", "Later"):
        _give(app, _customer(app, name), world.carol)
    assert _kept(app, world.carol)[world.carol].usage == Usage(2, 2, 2, 2)
    clock.advance(minutes=31)  # 00:01 on Tuesday in Shanghai
    assert _kept(app, world.carol)[world.carol].usage == Usage(2, 0, 2, 2)
    _give(app, _customer(app, "Next day"), world.carol)
    assert _kept(app, world.carol)[world.carol].usage == Usage(3, 1, 3, 3)
    _assert_no_drift(app)

    with app.uow() as uow:  # in London it is still Monday: all three came today
        org.update_rep(
            uow=uow,
            rep_id=world.carol,
            fields={"time_zone": "Europe/London"},
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()
    assert _kept(app, world.carol)[world.carol].usage == Usage(3, 3, 3, 3)
    _assert_no_drift(app)


def test_intake_recorded_where_the_rep_is_not_loaded_is_counted_in_their_zone(
    app: Fenpei, clock: FixedClock
) -> None:
    """A record written by a session that never loaded its rep (a history import, say):
    the rep's zone comes from the database, not UTC."""
    world = build_world(app)  # reps are in Asia/Shanghai
    clock.advance(hours=7)  # Monday 16:30 UTC: Tuesday 00:30 in Shanghai
    customer_id = _customer(app, "Recorded elsewhere")
    with app.uow() as uow:
        record = Assignment(
            customer_id=customer_id, method=AssignMethod.import_, at=app.now(),
            to_rep_id=world.carol,
        )  # fmt: skip
        uow.assignments.add_many([record])
        uow.commit()
    # Counted as Tuesday's (Shanghai), not Monday's (UTC), so it is today's.
    assert _kept(app, world.carol)[world.carol].usage.received_day == 1
    _assert_no_drift(app)


def _corrupt(app: Fenpei, rep_id: int) -> None:
    with app.engine.begin() as connection:
        connection.execute(
            sa.update(tables.rep_loads)
            .where(tables.rep_loads.c.rep_id == rep_id)
            .values(open_count=40, open_value=0)
        )


def test_doctor_names_drift_and_repairs_it(app: Fenpei) -> None:
    world = build_world(app)
    _give(app, _customer(app, "Held"), world.bob)
    _corrupt(app, world.bob)
    url = app.engine.url.render_as_string(hide_password=False)
    env = {"FENPEI_DATABASE_URL": url}

    found = CliRunner().invoke(cli, ["doctor"], env=env)
    assert found.exit_code == 1, found.output
    assert f"rep {world.bob}: open 40 → 1" in found.output
    assert "1 of 5 reps' loads differed from the records (not repaired)" in found.output
    assert _kept(app, world.bob)[world.bob].usage.open_count == 40

    repaired = CliRunner().invoke(cli, ["doctor", "--repair"], env=env)
    assert repaired.exit_code == 0, repaired.output
    # The CLI runs on the wall clock, weeks after this test's customer arrived.
    assert _kept(app, world.bob, now=datetime.now(UTC))[world.bob].usage == Usage(1)
    again = CliRunner().invoke(cli, ["doctor"], env=env)
    assert (again.exit_code, again.output.strip()) == (0, "5 reps' loads match the records")


def test_the_reconcile_job_repairs_drift(app: Fenpei, world_for_job: World) -> None:
    _corrupt(app, world_for_job.dan)
    assert reconcile_loads(app) == "1 of 5 reps' loads differed from the records (repaired)"
    assert _kept(app, world_for_job.dan)[world_for_job.dan].usage == Usage(0)
    assert reconcile_loads(app) == "5 reps' loads match the records"


@pytest.fixture
def world_for_job(app: Fenpei) -> World:
    return build_world(app)
