"""Run in child processes by the task routing race (importable, hence its own module).

Every thread of every process creates its own tasks, all starting together at one
barrier: even threads let the rules route each one (``create_and_route``, as every door
does), odd threads give each to a rep by hand, in turn. Many tasks for the same few reps
at the same moment, by two paths that share no rule lock, so a capacity check made
outside the rep's lock shows as a rep holding more task weight than their capacity.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from fenpei.bootstrap import bootstrap
from fenpei.config import Settings
from fenpei.domain.errors import CapacityExceeded
from fenpei.domain.users import SYSTEM
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput

START_TIMEOUT = 60  # seconds to wait for the other workers; a bound, not a timing
EFFORTS = (None, "0.5", "1", "1.5")  # None weighs 1
_start: threading.Barrier | None = None


def join_the_race(start: threading.Barrier) -> None:
    """Pool initializer: the barrier every thread of every process waits at."""
    global _start
    _start = start


@dataclass
class TaskRaceReport:
    created: int = 0
    refused: int = 0  # given by hand to a rep without room (CapacityExceeded)
    errors: list[str] = field(default_factory=list)


def create_tasks(
    database_url: str, process: int, threads: int, per_thread: int, rep_ids: list[int]
) -> TaskRaceReport:
    """``threads`` threads each create ``per_thread`` tasks, one transaction each: routed
    (even threads) or given by hand to ``rep_ids`` in turn (odd ones)."""
    app = bootstrap(Settings(database_url=database_url))
    report = TaskRaceReport()
    tally = threading.Lock()

    def work(worker: int) -> None:
        try:
            assert _start is not None, "start the pool with initializer=join_the_race"
            _start.wait(timeout=START_TIMEOUT)
            for n in range(per_thread):
                effort = EFFORTS[(process + worker + n) % len(EFFORTS)]
                data = TaskInput(title=f"P{process} T{worker} #{n}", effort_hours=effort)
                by_hand = rep_ids[(worker + n) % len(rep_ids)] if worker % 2 else None
                try:
                    with app.uow() as uow:
                        create_and_route(
                            uow=uow, actor=SYSTEM, data=data, now=app.now(), assignee_id=by_hand
                        )
                        uow.commit()
                except CapacityExceeded:
                    with tally:
                        report.refused += 1
                    continue
                with tally:
                    report.created += 1
        except Exception as exc:  # reported to the test, which fails on any
            with tally:
                report.errors.append(f"worker {process}/{worker}: {type(exc).__name__}: {exc}")

    workers = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    app.close()
    return report
