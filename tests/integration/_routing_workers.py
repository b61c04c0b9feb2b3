"""Run in child processes by the routing concurrency test (importable, hence its own module)."""

from __future__ import annotations

import threading
from random import Random

from fenpei.bootstrap import bootstrap
from fenpei.config import Settings
from fenpei.domain.users import SYSTEM
from fenpei.services.routing import route_customer


def route_share(database_url: str, customer_ids: list[int], threads: int) -> list[str]:
    """Route ``customer_ids`` from ``threads`` threads; returns the errors met (none hoped)."""
    app = bootstrap(Settings(database_url=database_url))
    errors: list[str] = []

    def work(share: list[int], seed: int) -> None:
        for customer_id in share:
            try:
                with app.uow() as uow:
                    route_customer(
                        uow=uow,
                        rulebook=app.rulebook,
                        customer_id=customer_id,
                        actor=SYSTEM,
                        now=app.now(),
                        rng=Random(seed),
                    )
                    uow.commit()
            except Exception as exc:  # reported to the test, which fails on any
                errors.append(f"{customer_id}: {type(exc).__name__}: {exc}")

    workers = [
        threading.Thread(target=work, args=(customer_ids[i::threads], i)) for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    app.close()
    return errors
