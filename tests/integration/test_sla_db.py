"""SLA clocks on SQLite and PostgreSQL: one starts on every path that gives a customer an
owner (the paths of test_ownership_events) and stops on a release or a deletion; the
sla-check job reminds, breaches, escalates and reassigns once each, however often it runs."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from random import Random

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.domain.sla import ClockState
from fenpei.domain.users import SYSTEM
from fenpei.services.customers import delete_customer
from fenpei.services.sla.check import CheckReport, check
from tests.fakes import FixedClock
from tests.integration._ownership_world import arrives as _arrives
from tests.integration._routing_world import add_rule, build_world
from tests.integration._sla_world import (
    SHANGHAI,
    add_policy,
    clocks_of,
    reminders,
    run_twice,
    team_manager,
)
from tests.integration.test_ownership_events import PATHS


@pytest.mark.parametrize("path", list(PATHS))
def test_every_ownership_path_starts_the_new_owners_clock(
    app: Fenpei, tmp_path: Path, path: str
) -> None:
    world = build_world(app)
    add_policy(app)

    expected = PATHS[path](app, world, tmp_path)

    for customer_id, rep_id in zip(expected.customer_ids, expected.to_rep_ids, strict=True):
        clocks = clocks_of(app, customer_id)
        running = [k for k in clocks if k["state"] == ClockState.open.value]
        if rep_id is None:  # to a pool: no clock runs
            assert running == [], path
            continue
        assert [k["rep_id"] for k in running] == [rep_id], path
        assert running[0]["due_at"] > running[0]["started_at"]
        with app.engine.connect() as connection:  # the record that gave the customer
            given = connection.scalar(
                sa.select(tables.assignments.c.to_rep_id).where(
                    tables.assignments.c.id == running[0]["assignment_id"]
                )
            )
        assert given == rep_id, path
        # a transfer or a claim after an earlier owner cancelled that owner's clock; the
        # clock an SLA reassignment acted on stays breached, marked reassigned
        assert all(
            k["state"] == ClockState.cancelled.value
            or (k["state"] == ClockState.breached.value and k["reassigned_at"] is not None)
            for k in clocks[:-1]
        ), path


def test_the_job_reminds_breaches_escalates_and_reassigns_once_each(
    app: Fenpei, clock: FixedClock
) -> None:
    clock.at = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
    world = build_world(app)
    boss = team_manager(app, world)
    add_rule(app, name="East", target={"kind": "reps", "rep_ids": [world.alice, world.bob]})
    add_policy(app, remind_before_minutes=30, notify_manager=True, reassign_after_minutes=60)
    customer_id = _arrives(app, "Slow")

    def run_at(hour: int, minute: int) -> list[str]:
        return run_twice(app, clock, datetime(2026, 12, 1, hour, minute, tzinfo=SHANGHAI))

    [owner] = {k["rep_id"] for k in clocks_of(app, customer_id)}
    other = world.bob if owner == world.alice else world.alice
    assert run_at(10, 29)[0].startswith("0 met, 0 reminded")
    assert run_at(10, 30)[0].startswith("0 met, 1 reminded")
    assert run_at(11, 0) == [
        "0 met, 0 reminded, 1 breached, 1 escalated, 0 reassigned, 0 kept, 0 next started, "
        "0 stopped",
        "0 met, 0 reminded, 0 breached, 0 escalated, 0 reassigned, 0 kept, 0 next started, "
        "0 stopped",
    ]
    assert reminders(app) == [
        ("sla_due_soon", [owner], []),
        ("sla_breached", [owner], []),
        ("sla_escalated", [], [boss]),
    ]
    assert "1 reassigned, 0 kept" in run_at(13, 0)[0]  # lunch is not counted
    first, second = clocks_of(app, customer_id)
    assert (first["state"], first["reassigned_at"] is not None) == ("breached", True)
    assert (second["rep_id"], second["state"]) == (other, "open")
    with app.uow(read_only=True) as uow:
        customer = uow.customers.get(customer_id)
        assert customer is not None and customer.owner_id == other


def test_two_processes_checking_at_once_remind_and_breach_once(
    app: Fenpei, clock: FixedClock
) -> None:
    clock.at = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
    world = build_world(app)
    add_rule(app, name="East", target={"kind": "reps", "rep_ids": [world.alice]})
    add_policy(app, first_contact_minutes=60, remind_before_minutes=30)
    ids = [_arrives(app, f"Slow {n}") for n in range(5)]
    clock.at = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)  # due now: remind and breach
    start = threading.Barrier(2)
    reports: list[CheckReport] = []

    def one_process() -> None:
        start.wait()
        # no job lock here: the conditional updates alone must keep each step single
        reports.append(
            check(uow_factory=app.uow, rulebook=app.rulebook, now=app.now(), rng=Random(1))
        )

    threads = [threading.Thread(target=one_process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    kinds = [kind for kind, _, _ in reminders(app)]
    assert sorted(kinds) == ["sla_breached"] * 5 + ["sla_due_soon"] * 5
    assert sum(r.reminded for r in reports) == 5 and sum(r.breached for r in reports) == 5
    assert all(clocks_of(app, i)[0]["state"] == "breached" for i in ids)


def test_a_deleted_customers_clock_stops_and_the_job_leaves_it_alone(app: Fenpei) -> None:
    world = build_world(app)
    add_rule(app, name="East", target={"kind": "reps", "rep_ids": [world.alice]})
    add_policy(app, first_contact_minutes=60, remind_before_minutes=30)
    customer_id = _arrives(app, "Deleted")
    with app.uow() as uow:
        delete_customer(uow=uow, customer_id=customer_id, actor=SYSTEM, now=app.now())
        uow.commit()

    [stopped] = clocks_of(app, customer_id)
    assert stopped["state"] == ClockState.cancelled.value
    later = app.now() + timedelta(days=3)
    report = check(uow_factory=app.uow, rulebook=app.rulebook, now=later, rng=Random(1))
    assert (report.reminded, report.breached) == (0, 0)
