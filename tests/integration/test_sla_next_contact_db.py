"""Next-contact SLA clocks on SQLite and PostgreSQL: a contact meets the first clock and
the job starts the next one from it; missed, it is breached and escalated once each
however often the job runs (and by two processes at once, started once); a transfer
cancels it and a won customer's stops, with the stage move or at the job's next run."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from random import Random

import sqlalchemy as sa

from fenpei.adapters.db import tables
from fenpei.adapters.db.migrate import upgrade
from fenpei.bootstrap import Fenpei
from fenpei.domain.sla import ClockKind, ClockState
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.assignments import assign
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.follow_ups.stages import change_stage
from fenpei.services.sla.check import CheckReport, check
from tests.fakes import FixedClock
from tests.integration._ownership_world import arrives as _arrives
from tests.integration._routing_world import World, add_rule, build_world
from tests.integration._sla_world import (
    SHANGHAI,
    add_policy,
    clocks_of,
    reminders,
    run_twice,
    team_manager,
)


def sh(hour: int, minute: int, day: int = 1) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)  # Tuesday the 1st


def _setup(app: Fenpei, clock: FixedClock, **fields: object) -> tuple[World, int]:
    clock.at = sh(9, 0)
    world = build_world(app)
    boss = team_manager(app, world)
    add_policy(app, name="Calls", first_contact_minutes=240, next_contact_minutes=60, **fields)
    add_rule(app, name="East", target={"kind": "reps", "rep_ids": [world.alice]})
    return world, boss


def _contact(app: Fenpei, clock: FixedClock, customer_id: int, at: datetime, **more: str) -> None:
    clock.at = at
    with app.uow() as uow:
        customer = uow.customers.get(customer_id)
        assert customer is not None
        actor = Actor("rep", Role.rep, rep_id=customer.owner_id)
        record_follow_up(uow=uow, customer_id=customer_id, actor=actor, kind="phone", at=at,
                         content="谈了报价", now=at, **more)  # type: ignore[arg-type]  # fmt: skip
        uow.commit()


def test_a_contact_starts_the_next_clock_which_is_breached_and_escalated_once(
    app: Fenpei, clock: FixedClock
) -> None:
    world, boss = _setup(app, clock, remind_before_minutes=15, notify_manager=True)
    customer_id = _arrives(app, "Slow")
    _contact(app, clock, customer_id, sh(11, 30))

    started = run_twice(app, clock, sh(11, 35))
    first, after = clocks_of(app, customer_id)
    assert started[0].startswith("1 met,") and "1 next started" in started[0]
    assert "0 next started" in started[1]
    assert (first["kind"], first["state"]) == ("first", "met")
    assert (after["kind"], after["state"], after["rep_id"]) == ("next", "open", world.alice)
    assert after["due_at"] == sh(13, 30)  # 11:30 + 60 business minutes, lunch not counted

    assert "1 reminded" in run_twice(app, clock, sh(13, 15))[0]
    breached = run_twice(app, clock, sh(13, 30))
    assert "1 breached, 1 escalated" in breached[0]
    assert "0 breached, 0 escalated" in breached[1]
    assert reminders(app) == [
        ("sla_next_due_soon", [world.alice], []),
        ("sla_next_breached", [world.alice], []),
        ("sla_next_escalated", [], [boss]),
    ]
    assert [k["state"] for k in clocks_of(app, customer_id)] == ["met", "breached"]

    _contact(app, clock, customer_id, sh(14, 0))  # late, but contact: met, the next one runs
    run_twice(app, clock, sh(14, 5))
    states = [(k["kind"], k["state"]) for k in clocks_of(app, customer_id)]
    assert states == [("first", "met"), ("next", "breached"), ("next", "open")]
    assert clocks_of(app, customer_id)[1]["met_at"] is not None


def test_two_processes_start_each_next_clock_once(app: Fenpei, clock: FixedClock) -> None:
    _setup(app, clock)
    ids = [_arrives(app, f"Called {n}") for n in range(5)]
    for customer_id in ids:
        _contact(app, clock, customer_id, sh(9, 30))
    clock.at = sh(9, 35)
    start = threading.Barrier(2)
    reports: list[CheckReport] = []

    def one_process() -> None:
        start.wait()
        # no job lock here: the claims alone must keep each next clock single
        reports.append(
            check(uow_factory=app.uow, rulebook=app.rulebook, now=app.now(), rng=Random(1))
        )

    threads = [threading.Thread(target=one_process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.met for r in reports) == 5 and sum(r.started for r in reports) == 5
    for customer_id in ids:
        assert [(k["kind"], k["state"]) for k in clocks_of(app, customer_id)] == [
            ("first", "met"), ("next", "open"),
        ]  # fmt: skip


def test_a_transfer_cancels_the_next_clock_and_closing_a_customer_stops_its_clock(
    app: Fenpei, clock: FixedClock
) -> None:
    """Won with the stage move; closed by a path outside fenpei's services (a CRM writing
    the table), at the job's next run: a first-contact clock too, unless it was missed
    already, which the job breaches."""
    world, _ = _setup(app, clock)
    moved, won = _arrives(app, "Moved"), _arrives(app, "Won")
    elsewhere, on_the_call = _arrives(app, "Closed elsewhere"), _arrives(app, "Won on the call")
    late = _arrives(app, "Lost after its due time")  # due 14:00, as the others first were
    _contact(app, clock, moved, sh(9, 30))
    _contact(app, clock, won, sh(9, 30))
    run_twice(app, clock, sh(9, 35))
    _contact(app, clock, on_the_call, sh(9, 40), stage="won")
    assert [(k["kind"], k["state"]) for k in clocks_of(app, on_the_call)] == [("first", "met")]
    with app.uow() as uow:
        assign(uow=uow, customer_id=moved, rep_id=world.bob, actor=SYSTEM, now=app.now(),
               reason="Alice is ill")  # fmt: skip
        change_stage(uow=uow, customer_id=won, to="won", reason=None,
                     actor=Actor("alice", Role.rep, rep_id=world.alice), now=app.now())  # fmt: skip
        uow.commit()
    _close_in_sql(app, elsewhere)

    assert [(k["kind"], k["state"], k["rep_id"]) for k in clocks_of(app, moved)] == [
        ("first", "met", world.alice), ("next", "cancelled", world.alice),
        ("first", "open", world.bob),
    ]  # fmt: skip
    assert [(k["kind"], k["state"]) for k in clocks_of(app, won)] == [
        ("first", "met"), ("next", "cancelled"),
    ]  # fmt: skip
    assert [k["state"] for k in clocks_of(app, elsewhere)] == ["open"]
    stopped = run_twice(app, clock, sh(9, 45))
    assert "1 stopped" in stopped[0] and "0 stopped" in stopped[1]
    assert [k["state"] for k in clocks_of(app, elsewhere)] == ["cancelled"]

    clock.at = sh(15, 0)
    _close_in_sql(app, late)
    missed = run_twice(app, clock, sh(17, 0))  # past Bob's first contact (14:40) too
    assert "0 stopped" in missed[0] and "2 breached" in missed[0]
    assert [kind for kind, _, _ in reminders(app)] == ["sla_breached", "sla_breached"]
    assert [k["state"] for k in clocks_of(app, late)] == ["breached"]


def _close_in_sql(app: Fenpei, customer_id: int) -> None:
    """Lost, as a path outside fenpei's services would write it."""
    with app.engine.begin() as connection:
        connection.execute(
            sa.update(tables.customers)
            .where(tables.customers.c.id == customer_id)
            .values(stage="lost", closed_at=app.now())
        )


def test_the_migration_makes_old_clocks_first_contact_ones_and_their_contacts_dealt_with(
    database_url: str,
) -> None:
    engine = sa.create_engine(database_url)
    upgrade(engine, "20261208_merges")
    at = "'2026-12-01 01:00:00'"
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO reps (id, name, active, away, skills, tags, seniority, weight, "
            "time_zone, working_hours) VALUES (1, 'Wang', true, false, '{}', '[]', 0, 1, "
            "'Asia/Shanghai', '{}')",
            "INSERT INTO customers (id, name, stage, tags, custom, created_at, updated_at) "
            f"VALUES (1, 'Li', 'new', '[]', '{{}}', {at}, {at})",
            "INSERT INTO sla_clocks (customer_id, rep_id, state, started_at, due_at, met_at, "
            f"paused_minutes) VALUES (1, 1, 'met', {at}, {at}, {at}, 0)",
            "INSERT INTO sla_clocks (customer_id, rep_id, state, started_at, due_at, "
            f"paused_minutes) VALUES (1, 1, 'open', {at}, {at}, 0)",
        ):
            connection.execute(sa.text(statement))
    upgrade(engine)
    c = tables.sla_clocks.c
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(c.kind, c.state, c.met_at, c.followed_at).order_by(c.id)
        ).all()
    engine.dispose()
    met_at = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert [tuple(row) for row in rows] == [
        (ClockKind.first, ClockState.met, met_at, met_at),
        (ClockKind.first, ClockState.open, None, None),
    ]
