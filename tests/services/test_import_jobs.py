"""Durable imports on the fakes (services/import_jobs.py): batches queued as pending with
the job's progress, routed from the store, resumed after the last row written, refused
when another writer moved the job on, and the choice between refusing, resuming and
importing again. The kill tests are in tests/integration/test_import_durable.py."""

from __future__ import annotations

from random import Random

import pytest

from fenpei.adapters.files.tabular import Table
from fenpei.domain.errors import Conflict
from fenpei.domain.import_jobs import ImportJob, ImportStatus, pending_reason
from fenpei.domain.users import SYSTEM
from fenpei.services import import_jobs as jobs
from fenpei.services.rulebook import RuleBook
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services import test_routing
from tests.services.test_routing import Org, add_rule

world = test_routing.world
rulebook = test_routing.rulebook

ROWS = 7


def _table() -> Table:
    rows = [(n + 2, {"name": f"Lead {n}", "region": "East"}) for n in range(ROWS)]
    return Table(name="leads.csv", headers=["name", "region"], rows=rows)


def _started(uow: FakeUnitOfWork, clock: FixedClock, table: Table) -> ImportJob:
    return in_transaction(
        uow,
        lambda: jobs.start_job(
            uow, table, sha256="ab" * 32, actor=SYSTEM, now=clock.now(), route=True
        ),
    )


def _write(uow: FakeUnitOfWork, clock: FixedClock, table: Table, job: ImportJob) -> int:
    return jobs.write_rows(
        uow_factory=lambda: uow, table=table, job=job, actor=SYSTEM, now=clock.now, batch_rows=3
    )


def test_rows_are_written_in_batches_queued_as_pending_and_routed_from_the_store(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(uow, clock, conditions={}, target={"kind": "reps", "rep_ids": [world.alice]})
    table = _table()
    job = _started(uow, clock, table)
    assert job.id is not None

    assert _write(uow, clock, table, job) == ROWS

    stored = uow.import_jobs.get(job.id)
    assert stored is not None and (stored.last_row, stored.rows_imported) == (ROWS + 1, ROWS)
    assert uow.import_jobs.pending_count(job.id) == ROWS
    assert len(uow.audit.find(object_type="customer", object_id="leads.csv")) == 3  # batches

    outcomes = jobs.route_pending(
        uow_factory=lambda: uow,
        rulebook=rulebook,
        job_id=job.id,
        actor=SYSTEM,
        now=clock.now,
        rng=Random(1),
        batch_size=2,
    )

    assert outcomes == {"assigned": ROWS}
    assert uow.import_jobs.pending_count(job.id) == 0
    done = jobs.finish_job(lambda: uow, job.id, now=clock.now())
    assert (done.status, done.rows_routed) == (ImportStatus.done, ROWS)


def test_a_resumed_job_writes_only_the_rows_after_its_last_row(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    table = _table()
    job = _started(uow, clock, table)
    assert job.id is not None
    first_three = Table(name=table.name, headers=table.headers, rows=table.rows[:3])
    _write(uow, clock, first_three, job)  # as if killed after the first batch
    resumed = uow.import_jobs.get(job.id)
    assert resumed is not None and resumed.last_row == 4

    assert _write(uow, clock, table, resumed) == ROWS - 3

    assert uow.import_jobs.pending_count(job.id) == ROWS
    names = {c.name for c in uow.customers.lock_many(range(1, 100))}
    assert names == {f"Lead {n}" for n in range(ROWS)}


def test_a_second_writer_of_the_same_job_is_refused_and_writes_nothing(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    table = _table()
    job = _started(uow, clock, table)
    assert job.id is not None
    _write(uow, clock, table, job)

    with pytest.raises(Conflict, match="moved on by another process"):
        _write(uow, clock, table, job)  # its copy of the job still says row 0

    assert uow.import_jobs.pending_count(job.id) == ROWS


def test_a_known_file_is_refused_resumed_or_imported_again_as_asked(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    table = _table()
    sha = "ab" * 32
    with uow:
        assert jobs.choose_job(uow, sha256=sha, again=False, resume=False) is None
        with pytest.raises(jobs.AlreadyImported, match="no unfinished import"):
            jobs.choose_job(uow, sha256=sha, again=False, resume=True)
    job = _started(uow, clock, table)
    assert job.id is not None
    with uow:
        with pytest.raises(jobs.AlreadyImported, match=f"import job {job.id} .* --resume"):
            jobs.choose_job(uow, sha256=sha, again=False, resume=False)
        assert jobs.choose_job(uow, sha256=sha, again=False, resume=True) == job
        assert jobs.choose_job(uow, sha256=sha, again=True, resume=False) is None
    jobs.finish_job(lambda: uow, job.id, now=clock.now())
    finished = f"already imported by import job {job.id}"
    with uow, pytest.raises(jobs.AlreadyImported, match=finished):
        jobs.choose_job(uow, sha256=sha, again=False, resume=False)


def test_pending_is_the_jobs_own_unrouted_customers(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    table = _table()
    job = _started(uow, clock, table)
    assert job.id is not None
    _write(uow, clock, table, job)

    def pool_one() -> None:
        customer = uow.customers.get(1, lock=True)
        assert customer is not None and customer.queue_reason == pending_reason(job.id or 0)
        customer.pool, customer.queue_reason, customer.queued_at = "public", None, None

    in_transaction(uow, pool_one)
    with uow:
        assert uow.import_jobs.pending_ids(job.id, after_id=0, limit=100) == list(range(2, 8))
        assert uow.import_jobs.pending_ids(job.id, after_id=4, limit=2) == [5, 6]
        assert uow.import_jobs.pending_ids(job.id + 1, after_id=0, limit=100) == []
