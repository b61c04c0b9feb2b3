"""The named periodic jobs and how often each runs (`fenpei jobs list` shows them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fenpei.adapters.db.job_lock import job_lock
from fenpei.bootstrap import Fenpei, run_sync_connection
from fenpei.config import SyncKind
from fenpei.domain.events import Channel
from fenpei.domain.users import SYSTEM
from fenpei.jobs.backup import backup_work
from fenpei.jobs.queue import retry_queue
from fenpei.jobs.reclaim import reclaim_job
from fenpei.services.dedupe.scan import scan_duplicates
from fenpei.services.follow_ups.reminders import remind_due_follow_ups
from fenpei.services.loads import check_loads
from fenpei.services.notifications.digest import write_digests
from fenpei.services.routing_reroute import on_rescore
from fenpei.services.scheduling import Job
from fenpei.services.scoring.rescore import rescore_stale
from fenpei.services.scoring.retraining import retrain_models
from fenpei.services.sla.check import check as check_slas
from fenpei.services.tasks.reminders import run_task_timers


def _retry_queue(fenpei: Fenpei) -> str:
    outcomes = retry_queue(fenpei)
    if outcomes is None:
        return "skipped: another process is routing the queue"
    return ", ".join(f"{n} {what}" for what, n in outcomes.items())


def email_digest(fenpei: Fenpei) -> str:
    """Queue the daily digests that are due; the worker's dispatcher sends them."""
    if Channel.email not in fenpei.outlets.senders:
        return "skipped: email is not configured"
    with fenpei.uow() as uow:
        report = write_digests(uow=uow, now=fenpei.now())
        uow.commit()
    return report.summary()


def reconcile_loads(fenpei: Fenpei) -> str:
    """Recount reps' loads from the records and repair any drift."""
    with fenpei.uow() as uow:
        check = check_loads(uow=uow, now=fenpei.now(), repair=True)
        uow.commit()
    return check.summary()


def follow_up_reminders(fenpei: Fenpei) -> str:
    """Remind owners of the follow-ups whose next date has come, once each."""
    with fenpei.uow() as uow:
        run = remind_due_follow_ups(uow=uow, now=fenpei.now())
        uow.commit()
    return run.summary()


def _alone(fenpei: Fenpei, job: str, busy: str, work: Callable[[], str]) -> str:
    """``work``'s summary, run by one process at a time (the others skip, saying ``busy``)."""
    with job_lock(fenpei.engine, job) as held:
        return work() if held else f"skipped: another process is {busy}"


def sla_check(fenpei: Fenpei) -> str:
    """Mark SLA clocks met, remind, breach, escalate and reassign (services/sla/check.py)."""
    return _alone(fenpei, "sla-check", "checking SLAs", lambda: check_slas(
        uow_factory=fenpei.uow, rulebook=fenpei.rulebook, now=fenpei.now(), rng=fenpei.rng()
    ).summary())  # fmt: skip


def task_reminders(fenpei: Fenpei) -> str:
    """Task timers: remind, mark overdue, escalate, reassign (services/tasks/reminders.py)."""
    return _alone(fenpei, "task-reminders", "checking task timers", lambda: run_task_timers(
        uow_factory=fenpei.uow, now=fenpei.now()
    ).summary())  # fmt: skip


def rescore_all(fenpei: Fenpei) -> str:
    """Rescore the customers scored before a model was activated or the grade settings
    changed (or never scored), a batch per transaction; re-route those a trigger fires for."""

    def work() -> str:
        reroute = on_rescore(rulebook=fenpei.rulebook, rng=fenpei.rng, actor=SYSTEM)
        looked, changed = rescore_stale(uow_factory=fenpei.uow, now=fenpei.now, on_change=reroute)
        return f"{looked} rescored, {changed} changed"

    return _alone(fenpei, "rescore-all", "rescoring", work)


def retrain(fenpei: Fenpei) -> str:
    """Retrain each learned model in use; activate the new version if it is no worse."""
    return _alone(fenpei, "retrain-models", "retraining", lambda: retrain_models(
        uow_factory=fenpei.uow, now=fenpei.now()
    ).summary())  # fmt: skip


def crm_sync(fenpei: Fenpei) -> str:
    """Each CRM connection with an adapter: pull what changed, push owner changes."""
    said = []
    for connection in fenpei.settings.sync_connections:
        if connection.kind is not SyncKind.zoho:
            continue
        counts = run_sync_connection(fenpei, connection.name, actor=SYSTEM)
        told = "skipped: another process is syncing" if counts is None else counts.summary()
        said.append(f"{connection.name}: {told}")
    return "; ".join(said) or "skipped: no CRM connection with an adapter is configured"


def dedupe_scan(fenpei: Fenpei) -> str:
    """Check every customer for duplicate pairs; dismissed pairs stay dismissed."""

    def work() -> str:
        with fenpei.uow() as uow:
            result = scan_duplicates(uow=uow, actor=SYSTEM, now=fenpei.now())
            uow.commit()
        return f"{result.customers} customers, {result.found} pairs ({result.new} new)"

    return _alone(fenpei, "dedupe-scan", "scanning for duplicates", work)


def scheduled_jobs(fenpei: Fenpei) -> list[Job]:
    return [
        Job(
            name="retry-queue",
            every=timedelta(minutes=5),
            run=lambda: _retry_queue(fenpei),
            description="Route queued customers again (capacity may have freed since).",
        ),
        Job(
            name="email-digest",
            every=timedelta(hours=1),
            run=lambda: email_digest(fenpei),
            description="Email each digest user their daily digest, after 08:00 their time.",
        ),
        Job(
            name="loads-reconcile",
            every=timedelta(days=1),
            run=lambda: reconcile_loads(fenpei),
            description="Recount reps' loads from the records; repair any drift.",
        ),
        Job(
            name="follow-up-reminders",
            every=timedelta(minutes=15),
            run=lambda: follow_up_reminders(fenpei),
            description="Remind owners of the follow-ups whose next date has come.",
        ),
        Job(
            name="sla-check",
            every=timedelta(minutes=5),
            run=lambda: sla_check(fenpei),
            description="First-contact SLAs: met, remind, breach, escalate, reassign.",
        ),
        Job(
            name="pool-reclaim",
            every=timedelta(hours=1),
            run=lambda: reclaim_job(fenpei),
            description="Warn owners of customers soon due, then reclaim (回收) the due ones.",
        ),
        Job(
            name="task-reminders",
            every=timedelta(minutes=5),
            run=lambda: task_reminders(fenpei),
            description="Task timers: start, due soon, due, overdue, escalate, reassign.",
        ),
        Job(
            name="rescore-all",
            every=timedelta(minutes=5),
            run=lambda: rescore_all(fenpei),
            description="Rescore customers after a model is activated or grades change.",
        ),
        Job(
            name="retrain-models",
            every=timedelta(days=7),
            run=lambda: retrain(fenpei),
            description="Retrain the learned models in use; switch to a version no worse.",
        ),
        Job(
            name="crm-sync",
            every=timedelta(minutes=15),
            run=lambda: crm_sync(fenpei),
            description="CRM sync: pull changed customers and owners, push owner changes.",
        ),
        Job(
            name="dedupe-scan",
            every=timedelta(days=1),
            run=lambda: dedupe_scan(fenpei),
            description="Find duplicate customers in bulk; store new pairs to review.",
        ),
        *_backup_jobs(fenpei),
    ]


def _backup_jobs(fenpei: Fenpei) -> list[Job]:
    """The scheduled backup, unless FENPEI_BACKUP_EVERY_HOURS=0 turns it off."""
    hours = fenpei.settings.backup_every_hours
    if hours == 0:
        return []
    return [
        Job(
            name="backup",
            every=timedelta(hours=hours),
            run=lambda: _alone(fenpei, "backup", "backing up", lambda: backup_work(fenpei)),
            description="Back up the database and files; keep the last daily and weekly ones.",
        )
    ]
