"""Manual assignment under concurrent requests: capacity holds, one owner, honest history."""

from __future__ import annotations

import itertools
import random
import threading
from collections import Counter, defaultdict

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import CapacityExceeded, Conflict
from fenpei.domain.users import SYSTEM
from fenpei.services.assignments import assign
from fenpei.services.customers import create_customer
from fenpei.services.org import create_rep

THREADS = 20
CUSTOMERS = 100
REPS = 40  # 40 reps x 3 slots = 120 >= 100 customers, so everyone can end up owned
CAPACITY = 3


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


def test_twenty_threads_never_push_a_rep_over_capacity_nor_double_assign(app: Fenpei) -> None:
    customer_ids, rep_ids = _seed(app)
    successes: list[int] = []
    failures: list[BaseException] = []
    worst_seen: list[int] = []
    done = threading.Event()
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
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
    assert len(records) == len(successes)  # one record per successful request, no more
    chains: dict[int, list[tuple[int | None, int | None]]] = defaultdict(list)
    for customer_id, from_rep, to_rep in records:
        chains[customer_id].append((from_rep, to_rep))
    for customer_id, chain in chains.items():
        assert chain[0][0] is None  # first owner came from nobody
        for (_, previous_to), (next_from, _) in itertools.pairwise(chain):
            assert next_from == previous_to  # each transfer starts where the last one ended
        assert chain[-1][1] == owners[customer_id]  # history ends at the current owner
