"""The worker: delivers the outbox and runs the periodic jobs, in a loop. Any number of
workers may run, in `fenpei worker` processes or inside `fenpei serve`: deliveries are
leased one worker at a time and each job slot is run once."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field

from fenpei.bootstrap import Fenpei
from fenpei.domain.jobs import slot_of
from fenpei.jobs.registry import scheduled_jobs
from fenpei.services.imports.running import run_waiting
from fenpei.services.notifications.dispatch import DispatchReport, dispatch_once
from fenpei.services.scheduling import JobOutcome, run_due

log = logging.getLogger(__name__)


def worker_name() -> str:
    """Host, process and a random part: unique across restarts and hosts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Worker:
    fenpei: Fenpei
    name: str = field(default_factory=worker_name)
    _seen: dict[str, int] = field(default_factory=dict)  # job -> the last slot tried

    def tick(self) -> tuple[DispatchReport, list[JobOutcome]]:
        """One round: expand and deliver messages, then run the jobs whose slot is due."""
        report = dispatch_once(
            uow_factory=self.fenpei.uow,
            outlets=self.fenpei.outlets,
            now=self.fenpei.now,
            worker=self.name,
            rng=self.fenpei.rng(),
        )
        # Only jobs whose slot moved on since this worker last looked: the others' slot
        # row is there already, and asking again would take a write lock every round.
        now = self.fenpei.now()
        due = [
            job
            for job in scheduled_jobs(self.fenpei)
            if self._seen.get(job.name) != slot_of(now, job.every)
        ]
        ran = run_due(uow_factory=self.fenpei.uow, jobs=due, now=self.fenpei.now, worker=self.name)
        self._seen.update({job.name: slot_of(now, job.every) for job in due})
        self.imports()
        return report, ran

    def imports(self) -> int:
        """Import the files uploaded in the browser or by the API (services/imports)."""
        return run_waiting(
            uow_factory=self.fenpei.uow,
            files=self.fenpei.table_files,
            rulebook=self.fenpei.rulebook,
            now=self.fenpei.now,
            rng=self.fenpei.rng,
            zone=self.fenpei.settings.zone,
        )

    def run(self, stop: threading.Event, *, poll_seconds: float) -> None:
        """Tick until ``stop`` is set; a round that found work is followed at once by the
        next, an idle one waits ``poll_seconds``. An error is logged and the loop goes on."""
        while not stop.is_set():
            try:
                report, _ = self.tick()
            except Exception:  # the database away for a moment must not end the worker
                log.exception("worker %s: round failed", self.name)
                report = DispatchReport()
            if not report:
                stop.wait(poll_seconds)


def start_in_background(fenpei: Fenpei, *, poll_seconds: float) -> threading.Event:
    """Run a worker in a daemon thread (inside `fenpei serve`); set the event to stop it."""
    stop = threading.Event()
    worker = Worker(fenpei)
    thread = threading.Thread(
        target=worker.run, args=(stop,), kwargs={"poll_seconds": poll_seconds}, daemon=True
    )
    thread.name = f"fenpei-worker-{worker.name}"
    thread.start()
    return stop
