"""Run in child processes by the routing concurrency tests (importable, hence its own module).

Every thread of every process routes the *same* customers, in the same order, and they
all start together: each customer is fought over by every worker at once, so a missing
customer lock or already-owned check shows as a customer routed twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random

from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.config import Settings
from fenpei.domain.errors import Conflict
from fenpei.domain.users import SYSTEM
from fenpei.engine.model import Decision, Outcome
from fenpei.services.routing import route_customer
from fenpei.services.routing_batch import route_customers

START_TIMEOUT = 60  # seconds to wait for the other workers; a bound, not a timing
_start: threading.Barrier | None = None  # the shared start line, set by ``join_the_race``


def join_the_race(start: threading.Barrier) -> None:
    """Pool initializer: keep the barrier every thread of every process waits at, so no
    process gets a head start while the others are still importing."""
    global _start
    _start = start


@dataclass
class RaceReport:
    assigned: int = 0  # routings this process made that gave a customer an owner
    refused: int = 0  # one by one: "already owned", another worker got there first
    errors: list[str] = field(default_factory=list)  # anything else (none hoped)


def race(database_url: str, customer_ids: list[int], threads: int, batch_size: int) -> RaceReport:
    """Route every one of ``customer_ids`` from each of ``threads`` threads at once: thread 0
    as the queue job does (``route_customers``, batches of ``batch_size``), the others one
    by one (``route_customer``, as on arrival)."""
    app = bootstrap(Settings(database_url=database_url))
    report = RaceReport()
    tally = threading.Lock()

    def one_by_one(seed: int) -> None:
        for customer_id in customer_ids:
            try:
                decision = _route_one(app, customer_id, Random(seed))
            except Conflict as exc:
                if "already owned" not in str(exc):
                    raise
                with tally:
                    report.refused += 1
                continue
            if decision.outcome is Outcome.assigned:
                with tally:
                    report.assigned += 1

    def in_batches(seed: int) -> None:
        outcomes = route_customers(
            uow_factory=app.uow,
            rulebook=app.rulebook,
            customer_ids=customer_ids,
            actor=SYSTEM,
            now=app.now,
            rng=Random(seed),
            batch_size=batch_size,
        )
        with tally:
            report.assigned += outcomes["assigned"]

    works = [in_batches] + [one_by_one] * (threads - 1)
    _run_all(report, tally, list(enumerate(works)))
    app.close()
    return report


def race_apart(
    database_url: str, customer_ids: list[int], threads: int, process: int, processes: int
) -> RaceReport:
    """Each of ``threads`` threads routes its own share of ``customer_ids`` one by one, all
    at once: different customers for one rule at the same moment, as concurrent arrivals
    are. A strategy deciding on loads read before the rule's lock drifts here."""
    app = bootstrap(Settings(database_url=database_url))
    report = RaceReport()
    tally = threading.Lock()

    def own_share(worker: int) -> None:
        for customer_id in customer_ids[process * threads + worker :: processes * threads]:
            decision = _route_one(app, customer_id, Random(worker))
            if decision.outcome is Outcome.assigned:
                with tally:
                    report.assigned += 1

    _run_all(report, tally, [(worker, own_share) for worker in range(threads)])
    app.close()
    return report


def _route_one(app: Fenpei, customer_id: int, rng: Random) -> Decision:
    """Route one customer in its own transaction, as an arrival is."""
    with app.uow() as uow:
        decision = route_customer(
            uow=uow,
            rulebook=app.rulebook,
            customer_id=customer_id,
            actor=SYSTEM,
            now=app.now(),
            rng=rng,
        )
        uow.commit()
    return decision


def _run_all(
    report: RaceReport, tally: threading.Lock, works: list[tuple[int, Callable[[int], None]]]
) -> None:
    """Each ``(seed, work)`` in a thread of its own, all from the shared start line."""
    workers = [
        threading.Thread(target=_reported(report, tally, work), args=(seed,))
        for seed, work in works
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def _reported(
    report: RaceReport, tally: threading.Lock, work: Callable[[int], None]
) -> Callable[[int], None]:
    """``work`` started at the shared start line, with whatever it raises reported."""

    def run(seed: int) -> None:
        try:
            assert _start is not None, "start the pool with initializer=join_the_race"
            _start.wait(timeout=START_TIMEOUT)
            work(seed)
        except Exception as exc:  # reported to the test, which fails on any
            with tally:
                report.errors.append(f"worker {seed}: {type(exc).__name__}: {exc}")

    return run
