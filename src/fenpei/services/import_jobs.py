"""Durable customer imports: a file is imported as a recorded job (domain/import_jobs.py).

1. The file is checked whole first (every row valid, or nothing is written — as
   ``import_customers``), streamed: no row is kept.
2. Rows are written in batches; each batch's transaction also moves the job's ``last_row``
   (by a conditional UPDATE: a second process resuming the same job cannot write the same
   rows) and puts the batch's customers in the routing queue with ``pending_reason(job)``.
   A killed import therefore leaves every written row waiting in the queue, and
   ``--resume`` starts after ``last_row``: each row of the file is written exactly once.
3. The import then routes its pending customers, read back from the database a batch at a
   time (``route_customers``: the same decisions, records, events, audit and load counters
   as any routing). If it dies, the queue job (``fenpei jobs run retry-queue``) routes
   whatever is left, or ``--resume`` does.

Test hook: ``FENPEI_IMPORT_PAUSE=<point>:<n>`` (points: ``importing``, ``imported``,
``routing``, ``routed``) makes the import print ``PAUSED <point>:<n>`` on stderr and wait
forever at that point of batch ``n`` — inside its transaction (``importing``, ``routing``)
or just after its commit — so a test can kill it there with no timing guesses.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from random import Random

from fenpei.domain.audit import AuditEntry
from fenpei.domain.customers import Customer
from fenpei.domain.errors import Conflict
from fenpei.domain.import_jobs import ImportJob, ImportStatus, pending_reason
from fenpei.domain.users import Actor
from fenpei.services._import_columns import resolve_columns
from fenpei.services._import_duplicates import DuplicateRows
from fenpei.services.categories import load_category_index
from fenpei.services.customer_import import (
    ImportTable,
    _complete,
    _id_ranges,
    _row_fields,
    _validate_rows,
)
from fenpei.services.customers import validate_customer_fields
from fenpei.services.ports import UnitOfWork
from fenpei.services.routing_batch import route_batch, route_customers
from fenpei.services.rulebook import RuleBook
from fenpei.services.scoring.rescore import load_scoring, rescore

BATCH_ROWS = 1000
ROUTE_BATCH = 500
PAUSE_VARIABLE = "FENPEI_IMPORT_PAUSE"

UowFactory = Callable[[], UnitOfWork]
Progress = Callable[[int, int], None]


class AlreadyImported(Exception):
    """The file matches an earlier job; the message says which and what to pass."""


@dataclass(frozen=True)
class Checked:
    """A checked file: what ``import customers`` reports before it writes."""

    columns: dict[str, str]
    ignored_columns: list[str]
    unknown_companies: int
    duplicate_rows: list[int] = field(default_factory=list)  # phone / email already known


def choose_job(uow: UnitOfWork, *, sha256: str, again: bool, resume: bool) -> ImportJob | None:
    """The unfinished job to resume (``resume``), or None to start a new one; refuses a
    file whose hash matches an earlier job unless ``again`` (or ``resume``) says what to do."""
    jobs = uow.import_jobs.by_sha256(sha256)
    unfinished = next((j for j in jobs if j.status is not ImportStatus.done), None)
    finished = next((j for j in jobs if j.status is ImportStatus.done), None)
    if resume:
        if unfinished is None:
            raise AlreadyImported(
                "no unfinished import of this file to resume"
                + (f" (import job {finished.id} finished it)" if finished else "")
            )
        return unfinished
    if again:
        return None
    if unfinished is not None:
        raise AlreadyImported(
            f"import job {unfinished.id} of this file (started {_at(unfinished)}, "
            f"{unfinished.rows_imported} of {unfinished.rows} rows written) did not finish; "
            "pass --resume to continue it, or --again to import the file anew"
        )
    if finished is not None:
        raise AlreadyImported(
            f"this file was already imported by import job {finished.id} on "
            f"{_at(finished)} ({finished.rows_imported} rows); "
            "pass --again to import it again"
        )
    return None


def _at(job: ImportJob) -> str:
    return f"{job.started_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def check_file(
    uow: UnitOfWork,
    table: ImportTable,
    *,
    now: datetime,
    zone: tzinfo | None = None,
    mapping: Mapping[str, str | None] | None = None,
    after_row: int = 0,
    progress: Progress | None = None,
) -> Checked:
    """Check every row after ``after_row``, keeping none; raises ``ValidationFailed``
    naming the bad rows (``row N.field``)."""
    custom_fields = uow.custom_fields.all()
    columns = resolve_columns(table.headers, mapping, custom_fields)
    companies = {c.name for c in uow.companies.all()}
    duplicates = DuplicateRows(uow)
    _, unknown = _validate_rows(
        uow,
        table,
        columns,
        progress,
        zone or now.tzinfo or UTC,
        custom_fields,
        keep=False,
        after_row=after_row,
        company_names=companies,
        duplicates=duplicates,
    )
    return Checked(
        columns=dict(columns),
        ignored_columns=[h for h in table.headers if h not in columns],
        unknown_companies=unknown,
        duplicate_rows=duplicates.listed(),
    )


def start_job(
    uow: UnitOfWork, table: ImportTable, *, sha256: str, actor: Actor, now: datetime, route: bool
) -> ImportJob:
    """Record a new import of the file; ``AlreadyImported`` naming the job if another
    import of it is running — started at the same moment as this one, or unfinished
    (``--again`` does not start a second copy beside it)."""
    started = uow.import_jobs.start(
        ImportJob(
            file_name=table.name[:200],
            sha256=sha256,
            rows=table.count,
            actor=actor.name[:64],
            started_at=now,
            route=route,
        )
    )
    if started is not None:
        return started
    running = next(
        (j for j in uow.import_jobs.by_sha256(sha256) if j.status is ImportStatus.running), None
    )
    held = f"import job {running.id} (started {_at(running)})" if running else "another import"
    raise AlreadyImported(
        f"{held} of this file has not finished: it is running, or it was stopped; "
        "wait for it, or pass --resume to continue it"
    )


def _pause(point: str, batch: int) -> None:
    if os.environ.get(PAUSE_VARIABLE) == f"{point}:{batch}":
        print(f"PAUSED {point}:{batch}", file=sys.stderr, flush=True)
        while True:
            signal.pause()


def _batches(
    table: ImportTable, after_row: int, size: int
) -> Iterator[list[tuple[int, Mapping[str, str]]]]:
    batch: list[tuple[int, Mapping[str, str]]] = []
    for number, cells in table.rows:
        if number <= after_row:
            continue
        batch.append((number, cells))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_rows(
    *,
    uow_factory: UowFactory,
    table: ImportTable,
    job: ImportJob,
    actor: Actor,
    now: Callable[[], datetime],
    zone: tzinfo | None = None,
    mapping: Mapping[str, str | None] | None = None,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> int:
    """Write the rows after the job's ``last_row``, a batch per transaction; how many."""
    assert job.id is not None
    last_row, written = job.last_row, 0
    reason = pending_reason(job.id) if job.route else None
    with uow_factory() as uow:
        custom_fields = uow.custom_fields.all()
        columns = resolve_columns(table.headers, mapping, custom_fields)
        categories = load_category_index(uow)
        company_ids = {c.name: c.id for c in uow.companies.all()}
    for number, batch in enumerate(_batches(table, job.last_row, batch_rows), start=1):
        to_row = batch[-1][0]
        with uow_factory() as uow:
            at = now()
            customers = []
            for row, cells in batch:
                fields = validate_customer_fields(
                    uow,
                    _row_fields(cells, columns),
                    partial=False,
                    prefix=f"row {row}.",
                    categories=categories,
                    custom_fields=custom_fields,
                    zone=zone or at.tzinfo or UTC,
                )
                _complete(fields, company_ids=company_ids, now=at)
                customer = Customer(**fields, updated_at=at)  # type: ignore[arg-type]
                customer.queue_reason, customer.queued_at = reason, at if reason else None
                customers.append(customer)
            scoring = load_scoring(uow=uow, custom_fields=custom_fields)
            rescore(uow=uow, customers=customers, now=at, scoring=scoring, created=True)
            uow.customers.add_many(customers)
            if not uow.import_jobs.advance(
                job.id, from_row=last_row, to_row=to_row, imported=len(customers)
            ):
                raise Conflict(
                    f"import job {job.id} was moved on by another process; it is not "
                    "written twice (see fenpei import jobs)"
                )
            ids = [c.id for c in customers if c.id is not None]
            uow.audit.add(
                AuditEntry(
                    actor=actor.name,
                    action="import",
                    object_type="customer",
                    object_id=table.name[:100],
                    at=at,
                    after={
                        "file": table.name,
                        "import_job": job.id,
                        "rows": [batch[0][0], to_row],
                        "imported": len(ids),
                        "customer_ids": _id_ranges(ids),
                        "columns": dict(columns),
                    },
                )
            )
            _pause("importing", number)
            uow.commit()
        _pause("imported", number)
        last_row, written = to_row, written + len(customers)
        if progress is not None:
            progress(job.rows_imported + written, job.rows)
    return written


def route_pending(
    *,
    uow_factory: UowFactory,
    rulebook: RuleBook,
    job_id: int,
    actor: Actor,
    now: Callable[[], datetime],
    rng: Random,
    batch_size: int = ROUTE_BATCH,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Route the job's customers still waiting in the queue as ``pending_reason(job)``,
    read from the database a batch at a time (by id, so a customer that stays queued is
    not read again)."""
    outcomes: dict[str, int] = {}
    with uow_factory() as uow:
        total = uow.import_jobs.pending_count(job_id)
    after_id, done, number = 0, 0, 0
    while True:
        with uow_factory() as uow:
            ids = uow.import_jobs.pending_ids(job_id, after_id=after_id, limit=batch_size)
        if not ids:
            return outcomes
        number += 1
        try:
            with uow_factory() as uow:
                decisions = route_batch(
                    uow=uow,
                    rulebook=rulebook,
                    customer_ids=ids,
                    actor=actor,
                    now=now(),
                    rng=rng,
                    only_queued=True,
                )
                _pause("routing", number)
                uow.commit()
            routed = dict(Counter(d.outcome.value for d in decisions))
        except Conflict:  # a clash in the batch: one customer at a time, as route_customers
            routed = route_customers(
                uow_factory=uow_factory,
                rulebook=rulebook,
                customer_ids=ids,
                actor=actor,
                now=now,
                rng=rng,
                batch_size=1,
                only_queued=True,
            )
        _pause("routed", number)
        for outcome, count in routed.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
        after_id, done = ids[-1], done + len(ids)
        if progress is not None:
            progress(done, total)


def finish_job(uow_factory: UowFactory, job_id: int, *, now: datetime) -> ImportJob:
    """Mark the job done, with how many of its rows were routed (by anyone)."""
    with uow_factory() as uow:
        pending = uow.import_jobs.pending_count(job_id)
        job = uow.import_jobs.get(job_id)
        assert job is not None
        uow.import_jobs.set_routed(job_id, job.rows_imported - pending if job.route else 0)
        uow.import_jobs.finish(job_id, status=ImportStatus.done, now=now)
        uow.commit()
        done = uow.import_jobs.get(job_id)
    assert done is not None
    return done
