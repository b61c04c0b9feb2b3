"""Fifty reps claim from a pool of two hundred at once, in two processes, with a daily cap
of three: no rep above three, no customer claimed twice, every claim recorded once.

PostgreSQL only (SQLite writers queue for one database lock, so they cannot race)."""

from __future__ import annotations

import multiprocessing
from collections import Counter

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.assignments import AssignMethod
from fenpei.domain.users import SYSTEM
from fenpei.services.customers import create_customer
from fenpei.services.org import create_rep
from fenpei.services.pool.terms import set_terms
from tests.integration._claim_workers import ClaimReport, claim_race
from tests.integration._routing_workers import join_the_race

REPS = 50
CUSTOMERS = 200
DAILY_CAP = 3
PROCESSES = 2
RACE_TIMEOUT = 300  # seconds; a deadlock fails the test instead of hanging it


def _seed(app: Fenpei) -> tuple[list[int], list[int]]:
    now = app.now()
    with app.uow() as uow:
        reps = [
            create_rep(uow=uow, fields={"name": f"Rep {n:02d}"}, actor=SYSTEM, now=now)
            for n in range(REPS)
        ]
        customers = [
            create_customer(uow=uow, fields={"name": f"Lead {n:03d}"}, actor=SYSTEM, now=now)
            for n in range(CUSTOMERS)
        ]
        set_terms(
            uow=uow, key="public", fields={"daily_claim_cap": DAILY_CAP}, actor=SYSTEM, now=now
        )
        uow.commit()
    customer_ids = [c.id for c in customers if c.id is not None]
    with app.engine.begin() as connection:  # as a rule sending them to the pool leaves them
        connection.execute(sa.update(t.customers).values(pool="public"))
    return [r.id for r in reps if r.id is not None], customer_ids


def _race(app: Fenpei, rep_ids: list[int], customer_ids: list[int]) -> ClaimReport:
    url = app.engine.url.render_as_string(hide_password=False)
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(len(rep_ids))
    shares = [(url, rep_ids[n::PROCESSES], customer_ids) for n in range(PROCESSES)]
    with spawn.Pool(PROCESSES, initializer=join_the_race, initargs=(start,)) as pool:
        reports = pool.starmap_async(claim_race, shares, chunksize=1).get(timeout=RACE_TIMEOUT)
    total = ClaimReport()
    for report in reports:
        total.claimed.update(report.claimed)
        total.refused.update(report.refused)
        total.errors += report.errors
    return total


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_fifty_reps_claiming_at_once_keep_the_daily_cap_and_one_owner_each(app: Fenpei) -> None:
    rep_ids, customer_ids = _seed(app)

    report = _race(app, rep_ids, customer_ids)

    assert report.errors == []
    with app.engine.connect() as connection:
        owners = Counter(
            connection.scalars(
                sa.select(t.customers.c.owner_id).where(t.customers.c.owner_id.is_not(None))
            )
        )
        records = connection.execute(
            sa.select(t.assignments.c.customer_id, t.assignments.c.to_rep_id).where(
                t.assignments.c.method == AssignMethod.claim
            )
        ).all()
        still_pooled = connection.scalar(
            sa.select(sa.func.count()).where(
                t.customers.c.owner_id.is_(None), t.customers.c.pool == "public"
            )
        )
    # Enough customers for everyone: each rep claims exactly the cap, no one more.
    assert owners == Counter(dict.fromkeys(rep_ids, DAILY_CAP))
    assert report.claimed == owners
    # One record per claim, naming the owner; no customer claimed twice.
    assert len(records) == REPS * DAILY_CAP
    assert len({customer for customer, _ in records}) == len(records)
    assert Counter(rep for _, rep in records) == owners
    assert still_pooled == CUSTOMERS - REPS * DAILY_CAP
    assert report.refused["daily_cap"] == REPS  # each rep stopped by the cap once
    assert report.refused["taken"] > 0  # they did fight over the same customers
