"""Run in child processes by the pool-claim race (importable, hence its own module).

Each thread is one rep, and every rep goes through the *same* waiting customers in its own
shuffled order, all starting together: a customer is fought over by many reps at once,
and each rep keeps claiming until the pool's daily cap stops it.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from random import Random

from fenpei.bootstrap import bootstrap
from fenpei.config import Settings
from fenpei.domain.errors import ClaimRefused
from fenpei.domain.users import Actor, Role
from fenpei.services.pool.claims import claim
from tests.integration._routing_workers import RaceReport, _run_all


@dataclass
class ClaimReport:
    claimed: Counter[int] = field(default_factory=Counter)  # rep -> claims that committed
    refused: Counter[str] = field(default_factory=Counter)  # ClaimRefused.kind -> count
    errors: list[str] = field(default_factory=list)


def claim_race(database_url: str, rep_ids: list[int], customer_ids: list[int]) -> ClaimReport:
    """One thread per rep in ``rep_ids``, each claiming from ``customer_ids`` in its own
    order until the daily cap refuses it."""
    app = bootstrap(Settings(database_url=database_url, db_pool_size=len(rep_ids) + 2))
    report = ClaimReport()
    tally = threading.Lock()

    def rep_claims(rep_id: int) -> None:
        actor = Actor(f"rep {rep_id}", Role.rep, rep_id=rep_id)
        order = list(customer_ids)
        Random(rep_id).shuffle(order)
        for customer_id in order:
            try:
                with app.uow() as uow:
                    claim(uow=uow, customer_id=customer_id, actor=actor, now=app.now())
                    uow.commit()
            except ClaimRefused as refused:
                with tally:
                    report.refused[refused.kind] += 1
                if refused.kind == "daily_cap":
                    return
                continue
            with tally:
                report.claimed[rep_id] += 1

    errors = RaceReport()
    _run_all(errors, tally, [(rep_id, rep_claims) for rep_id in rep_ids])
    report.errors = errors.errors
    app.close()
    return report
