"""Reclaim (回收) on SQLite and PostgreSQL: the set-based SQL takes exactly the due
customers, writes a record, an event and one audit entry per batch, keeps the reps' kept
loads right, warns once; two processes reclaiming at once take each customer once."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.cli.main import app as cli
from fenpei.domain.assignments import AssignMethod
from fenpei.domain.customers import Stage
from fenpei.domain.events import EventType
from fenpei.domain.users import SYSTEM
from fenpei.jobs.reclaim import run_reclaim
from fenpei.services import rules
from fenpei.services.assignments import bulk_assign
from fenpei.services.customers import create_customer
from fenpei.services.loads import check_loads
from fenpei.services.org import create_rep
from fenpei.services.pool.reclaim import dry_run, plan, reclaim
from fenpei.services.pool.terms import set_terms
from tests.fakes import FixedClock
from tests.integration._reclaim_workers import reclaim_race
from tests.integration._routing_workers import join_the_race


def _seed(app: Fenpei, count: int, **terms: object) -> tuple[list[int], list[int]]:
    """Two reps owning ``count`` customers between them (levels A/B/None in turn), and
    the public pool's terms."""
    now = app.now()
    with app.uow() as uow:
        reps = [
            create_rep(uow=uow, fields={"name": name}, actor=SYSTEM, now=now)
            for name in ("Wang", "Zhao")
        ]
        uow.commit()
    with app.uow() as uow:
        customers = [
            create_customer(
                uow=uow,
                fields={"name": f"C{n:03d}", "level": ("A", "B", None)[n % 3]},
                actor=SYSTEM,
                now=now,
            )
            for n in range(count)
        ]
        ids = [c.id for c in customers if c.id is not None]
        bulk_assign(
            uow=uow, customer_ids=ids, rep_ids=[r.id for r in reps if r.id], actor=SYSTEM, now=now
        )
        set_terms(
            uow=uow, key="public", fields={"reclaim_enabled": True, **terms}, actor=SYSTEM,
            now=now,
        )  # fmt: skip
        uow.commit()
    return [r.id for r in reps if r.id is not None], ids


def _owned(app: Fenpei) -> int:
    with app.engine.connect() as connection:
        query = sa.select(sa.func.count()).where(t.customers.c.owner_id.is_not(None))
        return int(connection.scalar(query) or 0)


def _reclaim_records(app: Fenpei) -> list[int]:
    with app.engine.connect() as connection:
        return list(
            connection.scalars(
                sa.select(t.assignments.c.customer_id).where(
                    t.assignments.c.method == AssignMethod.reclaim
                )
            )
        )


def test_reclaims_the_due_per_level_in_batches_with_records_events_and_loads(
    app: Fenpei, clock: FixedClock
) -> None:
    _, ids = _seed(app, 30, no_follow_up_days=10, level_days={"A": {"no_follow_up": 20}})
    with app.engine.begin() as connection:  # one B customer was followed up yesterday
        connection.execute(
            sa.update(t.customers)
            .where(t.customers.c.id == ids[1])
            .values(last_follow_up_at=clock.now() + timedelta(days=9))
        )
    clock.advance(days=10, seconds=-1)
    assert reclaim(uow_factory=app.uow, now=clock.now(), batch_size=4).reclaimed == {"public": 0}
    clock.advance(seconds=1)
    with app.uow(read_only=True) as uow:
        planned = plan(uow=uow, now=clock.now())
    assert len(planned) == 19  # 20 not of level A, less the one followed up

    report = reclaim(uow_factory=app.uow, now=clock.now(), batch_size=4)

    assert report.reclaimed == {"public": 19}
    records = _reclaim_records(app)
    assert sorted(records) == sorted(item.customer_id for item in planned)
    assert _owned(app) == 11
    with app.engine.connect() as connection:
        events = connection.execute(
            sa.select(t.outbox_events.c.payload).where(t.outbox_events.c.type == EventType.pooled)
        ).scalars()
        assert sorted(e["customer_id"] for e in events) == sorted(records)
        audits = connection.scalar(
            sa.select(sa.func.count()).where(t.audit_log.c.action == "pool.reclaim")
        )
        assert audits == 5  # 19 in batches of 4
    with app.uow() as uow:
        drifts = check_loads(uow=uow, now=clock.now()).drifts
        assert [d.describe() for d in drifts] == []
    clock.advance(days=10)
    assert reclaim(uow_factory=app.uow, now=clock.now()).reclaimed == {"public": 11}


def test_warns_once_protects_and_exempts_in_sql(app: Fenpei, clock: FixedClock) -> None:
    _, ids = _seed(app, 4, not_won_days=10, warn_days=3, protection_days=12)
    with app.engine.begin() as connection:
        c = t.customers.c
        connection.execute(sa.update(t.customers).where(c.id == ids[0]).values(key_account=True))
        connection.execute(sa.update(t.customers).where(c.id == ids[1]).values(stage=Stage.won))
    clock.advance(days=9)  # due at day 12 (protection), warned from day 9
    assert reclaim(uow_factory=app.uow, now=clock.now()).warned == 2
    assert reclaim(uow_factory=app.uow, now=clock.now()).warned == 0
    clock.advance(days=3, seconds=-1)
    assert sum(reclaim(uow_factory=app.uow, now=clock.now()).reclaimed.values()) == 0
    clock.advance(seconds=1)
    assert sorted(_reclaim_records(app)) == []
    assert reclaim(uow_factory=app.uow, now=clock.now()).reclaimed == {"public": 2}
    assert sorted(_reclaim_records(app)) == ids[2:]


def test_reroute_through_the_job(app: Fenpei, clock: FixedClock) -> None:
    rep_ids, _ids = _seed(app, 6, stuck_days=5, reclaim_action="reroute")
    with app.uow() as uow:
        rules.create_rule(
            uow=uow, fields={"name": "To Wang", "target": {"kind": "reps", "rep_ids": rep_ids[:1]}},
            actor=SYSTEM, now=app.now(),
        )  # fmt: skip
        uow.commit()
    clock.advance(days=5)
    report = run_reclaim(app)
    assert report is not None and report.reclaimed == {"public": 6}
    # Zhao's three go to Wang; Wang's three wait in the pool: the rule names only Wang,
    # and a reroute never gives a customer back to the rep it was reclaimed from.
    assert report.rerouted["assigned"] == 3 and report.rerouted["queued"] == 3
    with app.engine.connect() as connection:
        owners = Counter(connection.scalars(sa.select(t.customers.c.owner_id)))
    assert owners == {rep_ids[0]: 3, None: 3}


RACE_TIMEOUT = 300


@pytest.mark.parametrize("via_job", [True, False], ids=["job-lock", "skip-locked"])
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_two_processes_reclaim_each_customer_once(
    app: Fenpei, clock: FixedClock, via_job: bool
) -> None:
    _, ids = _seed(app, 300, no_follow_up_days=3)
    clock.advance(days=3)
    url = app.engine.url.render_as_string(hide_password=False)
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(2, initializer=join_the_race, initargs=(spawn.Barrier(2),)) as pool:
        counts = pool.starmap_async(
            reclaim_race, [(url, clock.now().isoformat(), via_job)] * 2, chunksize=1
        ).get(timeout=RACE_TIMEOUT)

    records = _reclaim_records(app)
    assert sorted(records) == sorted(ids), "each customer reclaimed once, one record each"
    assert sum(n for n in counts if n > 0) == len(ids)
    assert _owned(app) == 0
    with app.uow() as uow:
        drifts = check_loads(uow=uow, now=clock.now()).drifts
        assert [d.describe() for d in drifts] == []


def test_cli_dry_run_lists_why_then_reclaim_runs(app: Fenpei, clock: FixedClock) -> None:
    _, ids = _seed(app, 3, no_follow_up_days=1)
    with app.engine.begin() as connection:  # given long ago, as the CLI runs on a real clock
        connection.execute(
            sa.update(t.customers).values(assigned_at=clock.now() - timedelta(days=400))
        )
    url = app.engine.url.render_as_string(hide_password=False)
    env = {"FENPEI_DATABASE_URL": url, "COLUMNS": "200"}

    dry = CliRunner().invoke(cli, ["pool", "reclaim", "--dry-run", "--pool", "public"], env=env)

    assert dry.exit_code == 0, dry.output
    assert "no follow-up for 1 day " in dry.output and "3 would be reclaimed now" in dry.output
    assert dry.output.count(" · then pool\n") == 3  # one whole line each, at any width
    assert _reclaim_records(app) == []
    done = CliRunner().invoke(cli, ["pool", "reclaim"], env=env)
    assert done.exit_code == 0, done.output
    assert "3 reclaimed" in done.output
    assert sorted(_reclaim_records(app)) == ids


def test_the_dry_run_lists_the_earliest_due_first_when_protection_outlasts_the_rule(
    app: Fenpei, clock: FixedClock
) -> None:
    """Due is the clock plus the rule's days, but not before the protection ends: a
    customer whose clock started first can be due last."""
    _, (late, early) = _seed(app, 2, no_follow_up_days=3, protection_days=10)
    now = clock.now()
    with app.engine.begin() as connection:
        for customer_id, assigned, followed in (
            (late, now - timedelta(days=12), None),  # due when protection ends: 2 days ago
            (early, now - timedelta(days=30), now - timedelta(days=8)),  # due 5 days ago
        ):
            connection.execute(
                sa.update(t.customers)
                .where(t.customers.c.id == customer_id)
                .values(assigned_at=assigned, last_follow_up_at=followed)
            )

    with app.uow(read_only=True) as uow:
        first = dry_run(uow=uow, now=now, pool="public", limit=1)
        both = dry_run(uow=uow, now=now, pool="public", limit=2)

    assert [item.customer_id for item in first.items] == [early]
    assert first.total == 2 and first.partial
    assert [(i.customer_id, i.due) for i in both.items] == [
        (early, now - timedelta(days=5)),
        (late, now - timedelta(days=2)),
    ]
