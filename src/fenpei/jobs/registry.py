"""The named periodic jobs and how often each runs (`fenpei jobs list` shows them)."""

from __future__ import annotations

from datetime import timedelta

from fenpei.bootstrap import Fenpei
from fenpei.jobs.queue import retry_queue
from fenpei.services.scheduling import Job


def _retry_queue(fenpei: Fenpei) -> str:
    outcomes = retry_queue(fenpei)
    if outcomes is None:
        return "skipped: another process is routing the queue"
    return ", ".join(f"{n} {what}" for what, n in outcomes.items())


def scheduled_jobs(fenpei: Fenpei) -> list[Job]:
    return [
        Job(
            name="retry-queue",
            every=timedelta(minutes=5),
            run=lambda: _retry_queue(fenpei),
            description="Route queued customers again (capacity may have freed since).",
        ),
    ]
