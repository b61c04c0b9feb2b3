"""Run in child processes by the reclaim race (importable, hence its own module)."""

from __future__ import annotations

from datetime import datetime

from fenpei.bootstrap import bootstrap
from fenpei.config import Settings
from fenpei.jobs.reclaim import run_reclaim
from fenpei.services.pool.reclaim import reclaim
from tests.fakes import FixedClock
from tests.integration import _routing_workers


def reclaim_race(database_url: str, now_iso: str, via_job: bool) -> int:
    """Reclaim at ``now``: through the job (its lock) or straight through the service in
    small batches (only SKIP LOCKED keeps two processes apart); how many it reclaimed."""
    now = datetime.fromisoformat(now_iso)
    app = bootstrap(Settings(database_url=database_url), clock=FixedClock(now))
    start = _routing_workers._start
    if start is not None:
        start.wait()
    try:
        if via_job:
            report = run_reclaim(app)
            return -1 if report is None else sum(report.reclaimed.values())
        return sum(reclaim(uow_factory=app.uow, now=now, batch_size=7).reclaimed.values())
    finally:
        app.close()
