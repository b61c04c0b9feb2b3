"""Manual assignment under concurrent requests: capacity holds, one owner, honest history.

Every thread assigns every customer (each in its own order), so the same customer is
given and taken by several threads at once: without the customer lock two of them both
start from the same owner and the history breaks; without the rep lock a rep goes over.

PostgreSQL only. SQLite takes the database write lock when a transaction begins
(``BEGIN IMMEDIATE``), so its threads would assign one after another and could not show a
missing row lock; the serial rules are the service tests' job (on the fakes), and
``test_routing_concurrency`` has the one SQLite smoke test of writers waiting their turn.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections import Counter, defaultdict

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import CapacityExceeded, Conflict
from fenpei.domain.users import SYSTEM
from fenpei.services.assignments import assign
from fenpei.services.customers import create_customer
from fenpei.services.org import create_rep

THREADS = 8
CUSTOMERS = 30
REPS = 12  # 12 reps x 3 slots = 36 >= 30 customers, so everyone can end up owned
CAPACITY = 3
START_TIMEOUT = 60  # seconds to wait for the other threads; a bound, not a timing


def _seed(app: Fenpei) -> tuple[list[int], list[int]]:
    with app.uow() as uow:
        reps = [
            create_rep(
                uow=uow,
                fields={"name": f"Rep {i:02d}", "max_open": CAPACITY},
                actor=SYSTEM,
                now=app.now(),
            )
            for i in range(REPS)
        ]
        customers = [
            create_customer(
                uow=uow, fields={"name": f"Customer {i:03d}"}, actor=SYSTEM, now=app.now()
            )
            for i in range(CUSTOMERS)
        ]
        uow.commit()
    return [c.id for c in customers if c.id], [r.id for r in reps if r.id]


def _open_per_rep(app: Fenpei) -> Counter[int]:
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(t.customers.c.owner_id, sa.func.count())
            .where(t.customers.c.owner_id.is_not(None))
            .group_by(t.customers.c.owner_id)
        )
        return Counter(dict(rows.all()))


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_threads_racing_for_the_same_customers_keep_capacity_and_one_history_each(
    app: Fenpei,
) -> None:
    customer_ids, rep_ids = _seed(app)
    successes: list[int] = []
    failures: list[BaseException] = []
    worst_seen: list[int] = []
    done = threading.Event()
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait(timeout=START_TIMEOUT)
            for customer_id in rng.sample(customer_ids, len(customer_ids)):
                for rep_id in rng.sample(rep_ids, len(rep_ids)):
                    try:
                        with app.uow() as uow:
                            record = assign(
                                uow=uow,
                                customer_id=customer_id,
                                rep_id=rep_id,
                                actor=SYSTEM,
                                now=app.now(),
                                reason="load test",
                            )
                            uow.commit()
                    except CapacityExceeded:
                        continue  # that rep is full: try another
                    except Conflict:
                        break  # already owned by that rep: nothing to do
                    with lock:
                        successes.append(record.customer_id)
                    break
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)

    def monitor() -> None:
        while not done.is_set():
            worst_seen.append(max(_open_per_rep(app).values(), default=0))

    watcher = threading.Thread(target=monitor)
    watcher.start()
    workers = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    done.set()
    watcher.join()

    assert failures == []
    assert max(worst_seen) <= CAPACITY  # sampled while the threads ran
    held = _open_per_rep(app)
    assert max(held.values()) <= CAPACITY
    with app.engine.connect() as connection:
        owners = dict(connection.execute(sa.select(t.customers.c.id, t.customers.c.owner_id)).all())
        records = connection.execute(
            sa.select(
                t.assignments.c.customer_id, t.assignments.c.from_rep_id, t.assignments.c.to_rep_id
            ).order_by(t.assignments.c.id)
        ).all()
    assert all(owners[c] is not None for c in customer_ids)  # every customer has one owner
    # one record per successful request, no more, customer by customer
    assert Counter(customer_id for customer_id, _, _ in records) == Counter(successes)
    chains: dict[int, list[tuple[int | None, int | None]]] = defaultdict(list)
    for customer_id, from_rep, to_rep in records:
        chains[customer_id].append((from_rep, to_rep))
    for customer_id, chain in chains.items():
        assert chain[0][0] is None  # first owner came from nobody
        for (_, previous_to), (next_from, _) in itertools.pairwise(chain):
            assert next_from == previous_to  # each transfer starts where the last one ended
        assert chain[-1][1] == owners[customer_id]  # history ends at the current owner
