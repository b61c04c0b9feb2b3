"""A worker's round runs each job once per slot and does not ask again within the slot."""

from __future__ import annotations

from fenpei.bootstrap import Fenpei
from fenpei.jobs.worker import Worker
from tests.fakes import FixedClock


def test_a_worker_runs_each_job_once_per_slot_and_again_in_the_next(
    app: Fenpei, clock: FixedClock
) -> None:
    worker = Worker(app)

    _, first = worker.tick()
    _, again = worker.tick()
    clock.advance(hours=1)
    _, next_hour = worker.tick()

    assert sorted(o.job for o in first) == [
        "backup", "crm-sync", "dedupe-scan", "email-digest", "follow-up-reminders",
        "loads-reconcile", "pool-reclaim", "rescore-all", "retrain-models", "retry-queue",
        "sla-check", "task-reminders",
    ]  # fmt: skip
    assert again == []
    # loads-reconcile, dedupe-scan and backup run daily: their slots are still today's
    assert sorted(o.job for o in next_hour) == [
        "crm-sync", "email-digest", "follow-up-reminders", "pool-reclaim", "rescore-all",
        "retry-queue", "sla-check", "task-reminders",
    ]  # fmt: skip
    with app.uow(read_only=True) as uow:
        assert len(uow.job_runs.history(limit=50)) == 20
