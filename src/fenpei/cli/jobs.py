"""`fenpei jobs …` and `fenpei worker`: scheduled jobs and the message dispatcher."""

from __future__ import annotations

import signal
import threading
import time
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from fenpei.cli._common import console, fenpei_app
from fenpei.domain.events import DeliveryStatus
from fenpei.domain.jobs import JobStatus
from fenpei.domain.users import SYSTEM
from fenpei.jobs.queue import retry_queue as retry_queue_job
from fenpei.jobs.registry import scheduled_jobs
from fenpei.jobs.worker import Worker, worker_name
from fenpei.services import scheduling
from fenpei.services.notifications.dispatch import retry_dead

app = typer.Typer(help="Scheduled jobs (定时任务): each slot runs once.", no_args_is_help=True)
deliveries_app = typer.Typer(
    help="Messages to reps and receivers (消息投递): failed and dead ones, retried by hand.",
    no_args_is_help=True,
)


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") if at is not None else ""


@app.command("list")
def list_jobs() -> None:
    """Each job, how often it runs, its last run and the next."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        jobs = scheduled_jobs(fenpei)
        table = Table("job", "every", "last run", "status", "next run", "what it does")
        for state in scheduling.states(uow=uow, jobs=jobs, actor=SYSTEM, now=fenpei.now()):
            last = state.last
            table.add_row(
                state.job.name,
                str(state.job.every),
                _when(last.started_at) if last else "never",
                last.status.value if last else "",
                _when(state.next_run_at),
                state.job.description,
            )
        console.print(table)


@app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="The job's name (see `fenpei jobs list`).")],
) -> None:
    """Run a job now, outside its schedule."""
    with fenpei_app() as fenpei:
        outcome = scheduling.run_now(
            uow_factory=fenpei.uow,
            jobs=scheduled_jobs(fenpei),
            name=name,
            actor=SYSTEM,
            now=fenpei.now,
            worker=worker_name(),
        )
    console.print(f"{outcome.job}: {outcome.status.value}  {outcome.summary or ''}")
    if outcome.status is JobStatus.failed:
        raise typer.Exit(1)


@app.command("history")
def history(
    job: Annotated[str | None, typer.Option(help="Only this job.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
) -> None:
    """The latest runs, newest first."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        table = Table("job", "started", "finished", "status", "worker", "summary")
        for r in uow.job_runs.history(job=job, limit=limit):
            table.add_row(
                r.job,
                _when(r.started_at),
                _when(r.finished_at),
                r.status.value,
                r.worker,
                r.summary or "",
            )
        console.print(table)


@app.command("retry-queue")
def retry_queue(
    every: Annotated[
        int | None, typer.Option(min=1, help="Repeat every N seconds until interrupted.")
    ] = None,
) -> None:
    """Route queued customers again (capacity may have freed since)."""
    with fenpei_app() as fenpei:
        while True:
            outcomes = retry_queue_job(fenpei)
            if outcomes is None:
                console.print("another process is routing the queue; skipped")
            else:
                console.print(", ".join(f"{n} {what}" for what, n in outcomes.items()))
            if every is None:
                return
            time.sleep(every)


def worker(
    once: Annotated[bool, typer.Option(help="One round, then exit (for cron or tests).")] = False,
    poll: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait when a round found nothing to do.")
    ] = 2.0,
) -> None:
    """Deliver messages and run the scheduled jobs until stopped (SIGINT / SIGTERM)."""
    with fenpei_app() as fenpei:
        runner = Worker(fenpei)
        if once:
            report, ran = runner.tick()
            console.print(
                f"{report.expanded} events, {report.delivered} delivered, "
                f"{report.failed} to retry, {report.dead} dead; jobs run: "
                + (", ".join(f"{o.job} ({o.status.value})" for o in ran) or "none")
            )
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        console.print(f"worker {runner.name} running; Ctrl+C stops it")
        runner.run(stop, poll_seconds=poll)


@deliveries_app.command("list")
def list_deliveries(
    status: Annotated[DeliveryStatus | None, typer.Option(help="Only this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """Deliveries, newest first, with the counts by status."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        counts = uow.outbox.counts()
        console.print(
            ", ".join(f"{n} {s.value}" for s, n in counts.items())
            + f"; {uow.outbox.pending_events()} events not yet expanded"
        )
        table = Table("id", "channel", "recipient", "status", "attempts", "next", "last error")
        for d in uow.outbox.deliveries(status=status, limit=limit):
            table.add_row(
                str(d.id),
                d.channel.value,
                d.recipient,
                d.status.value,
                str(d.attempts),
                _when(d.next_attempt_at),
                d.last_error or "",
            )
        console.print(table)


@deliveries_app.command("retry")
def retry(delivery_id: Annotated[int, typer.Argument(min=1, help="The delivery's id.")]) -> None:
    """Send a dead or failing delivery again at the next worker round."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        delivery = retry_dead(uow=uow, delivery_id=delivery_id, actor=SYSTEM, now=fenpei.now())
        uow.commit()
        console.print(f"delivery {delivery_id}: {delivery.status.value}")
