"""The queue job: customers no rule could place yet are routed again (capacity frees when
a day rolls over, a rep comes back from leave or closes customers)."""

from __future__ import annotations

from fenpei.adapters.db.job_lock import job_lock
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.services.routing_batch import route_queued


def retry_queue(fenpei: Fenpei) -> dict[str, int] | None:
    """Route the queue once; None when another process is already doing it."""
    with job_lock(fenpei.engine, "retry-queue") as held:
        if not held:
            return None
        return route_queued(
            uow_factory=fenpei.uow,
            rulebook=fenpei.rulebook,
            actor=SYSTEM,
            now=fenpei.now,
            rng=fenpei.rng(),
        )
