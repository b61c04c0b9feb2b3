"""The reclaim job (回收): warn, then reclaim what is due, once across many processes."""

from __future__ import annotations

from fenpei.adapters.db.job_lock import job_lock
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Actor
from fenpei.services.pool.reclaim import ReclaimReport, reclaim


def run_reclaim(
    fenpei: Fenpei, *, pool: str | None = None, actor: Actor = SYSTEM
) -> ReclaimReport | None:
    """Warn and reclaim now; None when another process is already doing it (the job lock:
    the rows are also taken with SKIP LOCKED, so even without it none goes twice)."""
    with job_lock(fenpei.engine, "pool-reclaim") as held:
        if not held:
            return None
        return reclaim(
            uow_factory=fenpei.uow,
            now=fenpei.now(),
            rulebook=fenpei.rulebook,
            rng=fenpei.rng(),
            pool=pool,
            actor=actor,
        )


def reclaim_job(fenpei: Fenpei) -> str:
    report = run_reclaim(fenpei)
    return "skipped: another process is reclaiming" if report is None else report.summary()
