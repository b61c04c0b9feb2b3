"""Reclaim (回收) on PostgreSQL: the job's set-based SQL against a row-by-row baseline, on
the same data in the same run.

Customers are bulk-loaded by ``INSERT … SELECT generate_series`` (not the ORM), owned by
100 reps, 2% of them past the public pool's "no follow-up in 30 days". The job (warn, then
reclaim in batches of 1,000: select the due by cutoff, lock with SKIP LOCKED, one UPDATE,
one INSERT of records, the events, one audit entry) runs first; the state is then put back
by SQL and the baseline runs: every owned customer loaded (ORM pages of 1,000), checked
in Python, each due one released one by one through ``assignments.release`` (its UPDATE,
record, event and audit entry), a commit per 1,000 loaded.

``FENPEI_BENCH_RECLAIM_CUSTOMERS`` sets the size: by default 1,000,000, the issue's figure
(about five minutes, most of it the baseline); ``FENPEI_BENCH_RECLAIM_CUSTOMERS=100000`` for
a quicker look.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

import sqlalchemy as sa

from bench._databases import fresh_fenpei, postgres_available
from bench._statements import statements
from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.assignments import AssignMethod
from fenpei.domain.customers import Customer
from fenpei.domain.reclaim import due_of, record_reason
from fenpei.domain.users import SYSTEM
from fenpei.services.assignments import release
from fenpei.services.loads import check_loads
from fenpei.services.org import create_rep
from fenpei.services.pool.reclaim import reclaim
from fenpei.services.pool.terms import set_terms, terms_of

REPS = 100
DUE_EVERY = 50  # one customer in 50 is due: 2%
PAGE = 1_000
LOAD_CHUNK = 100_000


def _size() -> int:
    return int(os.environ.get("FENPEI_BENCH_RECLAIM_CUSTOMERS", "1000000"))


def _seed(fenpei: Fenpei, size: int) -> None:
    now = fenpei.now()
    with fenpei.uow() as uow:
        for n in range(REPS):
            create_rep(uow=uow, fields={"name": f"Rep {n:03d}"}, actor=SYSTEM, now=now)
        set_terms(
            uow=uow, key="public", fields={"reclaim_enabled": True, "no_follow_up_days": 30},
            actor=SYSTEM, now=now,
        )  # fmt: skip
        uow.commit()
    with fenpei.engine.begin() as connection:
        rep_ids = list(connection.scalars(sa.select(t.reps.c.id).order_by(t.reps.c.id)))
        # A bulk load: the rep_loads trigger would update 100 counter rows a million times
        # in one transaction; it is off while loading and the loads are recounted after.
        connection.exec_driver_sql("ALTER TABLE customers DISABLE TRIGGER rep_loads_customer")
        for first in range(1, size + 1, LOAD_CHUNK):
            connection.execute(
                sa.text(
                    "INSERT INTO customers (name, stage, tags, custom, owner_id, created_at, "
                    "updated_at, assigned_at, key_account) "
                    "SELECT 'Customer ' || g, 'new', '[]', '{}', "
                    "(:reps)[1 + g % cardinality(:reps)], :now, :now, "
                    "CASE WHEN g % :every = 0 THEN :old ELSE :recent END, false "
                    "FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g"
                ),
                {
                    "reps": rep_ids, "now": now, "every": DUE_EVERY, "first": first,
                    "last": min(first + LOAD_CHUNK - 1, size),
                    "old": now - timedelta(days=40), "recent": now - timedelta(days=1),
                },
            )  # fmt: skip
        connection.exec_driver_sql("ALTER TABLE customers ENABLE TRIGGER rep_loads_customer")
        connection.exec_driver_sql("ANALYZE customers")
    with fenpei.uow() as uow:  # the rows went in by SQL: count the holdings in
        check_loads(uow=uow, now=now, repair=True)
        uow.commit()


def _put_back(fenpei: Fenpei) -> None:
    """Undo a run by SQL: the reclaimed go back to their owners; its records, events and
    audit entries go."""
    with fenpei.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE customers c SET owner_id = a.from_rep_id, pool = NULL "
            "FROM assignments a WHERE a.customer_id = c.id AND a.method = 'reclaim'"
        )
        connection.exec_driver_sql("DELETE FROM assignments WHERE method = 'reclaim'")
        connection.exec_driver_sql("DELETE FROM outbox_events")
        connection.exec_driver_sql("DELETE FROM audit_log WHERE action = 'pool.reclaim'")


def _row_by_row(fenpei: Fenpei) -> int:
    """The baseline: load each owned customer, check it, release each due one."""
    now, released, after = fenpei.now(), 0, 0
    while True:
        with fenpei.uow() as uow:
            pool = terms_of(uow, "public")
            session = uow.customers.session  # type: ignore[attr-defined]
            page = list(
                session.scalars(
                    sa.select(Customer)
                    .where(t.customers.c.owner_id.is_not(None), t.customers.c.id > after)
                    .order_by(t.customers.c.id)
                    .limit(PAGE)
                    .with_for_update()
                )
            )
            if not page:
                return released
            for customer in page:
                due = due_of(customer, pool)
                if due is not None and due.due <= now:
                    release(
                        uow, customer=customer, pool="public", method=AssignMethod.reclaim,
                        actor=SYSTEM, reason=record_reason(due), now=now,
                        explanation={"kind": "reclaim", "rule": due.rule.value},
                        audit_action="pool.reclaim",
                    )  # fmt: skip
                    released += 1
            after = page[-1].id or after
            uow.commit()


def run() -> None:
    size = _size()
    print(f"\n== Reclaim: {size:,} customers, 2% due, set-based job vs row by row ==")
    if not postgres_available():
        print("  (PostgreSQL unreachable: skipped; the figure is PostgreSQL's)")
        return
    with fresh_fenpei("postgres") as fenpei:
        started = time.perf_counter()
        _seed(fenpei, size)
        print(f"  loaded in {time.perf_counter() - started:.1f} s")
        with statements(fenpei.engine) as job_sql:
            started = time.perf_counter()
            report = reclaim(uow_factory=fenpei.uow, now=fenpei.now())
            job_time = time.perf_counter() - started
        job_count = sum(report.reclaimed.values())
        _put_back(fenpei)
        with statements(fenpei.engine) as base_sql:
            started = time.perf_counter()
            base_count = _row_by_row(fenpei)
            base_time = time.perf_counter() - started
        fenpei.close()
    assert job_count == base_count == size // DUE_EVERY, (job_count, base_count)
    print(
        f"  job         {job_time:8.2f} s  {len(job_sql):9,} statements  "
        f"({job_count:,} reclaimed)\n"
        f"  row by row  {base_time:8.2f} s  {len(base_sql):9,} statements\n"
        f"  job is {base_time / job_time:.1f}x faster with "
        f"{len(base_sql) / max(len(job_sql), 1):.1f}x fewer statements"
    )
