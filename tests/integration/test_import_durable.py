"""A customer import killed (SIGKILL) at several points loses and strands nothing, on SQLite
and PostgreSQL: the real ``fenpei import customers`` runs as a child process (the other
commands run in the test's process, as a child costs seconds to start); the test
hook ``FENPEI_IMPORT_PAUSE`` (services/import_jobs.py) stops it at a chosen point of a
chosen batch — inside a batch's transaction, or between batches of routing — and says so
on stderr, where the test waits for it before killing the process. After the queue job and
``--resume`` every row of the file is a customer exactly once, owned, with exactly one
assignment record, the reps' kept loads match a recount (``fenpei doctor``), and running
the file again is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from typer.testing import CliRunner

from fenpei.adapters.db import tables
from fenpei.adapters.files.tabular import Table
from fenpei.bootstrap import Fenpei
from fenpei.cli.main import app as cli
from fenpei.domain.import_jobs import ImportJob, ImportStatus
from fenpei.domain.users import SYSTEM
from fenpei.services import import_jobs as jobs
from fenpei.services.import_jobs import BATCH_ROWS, PAUSE_VARIABLE, ROUTE_BATCH
from tests.integration._routing_world import add_rule, build_world

ROWS = 2 * BATCH_ROWS + BATCH_ROWS // 2  # three batches to write, five to route
FENPEI = str(Path(sys.executable).with_name("fenpei"))


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "leads.csv"
    with path.open("w") as out:
        out.write("name,phone,external_id\n")
        for n in range(ROWS):
            out.write(f"Lead {n},138{n:08d},lead-{n}\n")
    return path


def _env(app: Fenpei, pause: str | None = None) -> dict[str, str]:
    env = {**os.environ, "FENPEI_DATABASE_URL": app.engine.url.render_as_string(False)}
    env.pop(PAUSE_VARIABLE, None)
    if pause is not None:
        env[PAUSE_VARIABLE] = pause
    return env


def _run(app: Fenpei, *args: str) -> Result:
    """``fenpei`` in this process (starting a child costs seconds; the kills need one)."""
    url = app.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(cli, list(args), env={"FENPEI_DATABASE_URL": url})


def _kill_at(app: Fenpei, pause: str, *args: str) -> None:
    """Run ``fenpei`` until it reaches ``pause`` (it says so on stderr), then SIGKILL it."""
    child = subprocess.Popen(
        [FENPEI, *args],
        env=_env(app, pause),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    seen = []
    try:
        for line in child.stderr:  # blocks until the child writes or ends: no sleeping
            seen.append(line)
            if line.startswith(f"PAUSED {pause}"):
                break
        else:
            raise AssertionError(f"the import ended before {pause}: {''.join(seen)}")
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=60)
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL


def _counts(app: Fenpei) -> dict[str, int]:
    c, a = tables.customers.c, tables.assignments.c
    with app.engine.connect() as connection:

        def count(query: sa.Select[tuple[int]]) -> int:
            return int(connection.scalar(query) or 0)

        return {
            "customers": count(sa.select(sa.func.count()).select_from(tables.customers)),
            "external_ids": count(sa.select(sa.func.count(sa.distinct(c.external_id)))),
            "owned": count(sa.select(sa.func.count()).where(c.owner_id.is_not(None))),
            "pending": count(
                sa.select(sa.func.count()).where(
                    c.queue_reason.like("pending routing%"), c.owner_id.is_(None)
                )
            ),
            "records": count(sa.select(sa.func.count()).select_from(tables.assignments)),
            "customers_with_records": count(sa.select(sa.func.count(sa.distinct(a.customer_id)))),
        }


def _job(app: Fenpei) -> sa.RowMapping:
    with app.engine.connect() as connection:
        return connection.execute(sa.select(tables.import_jobs)).mappings().one()


def test_an_import_killed_anywhere_is_finished_by_the_queue_job_and_resume(
    app: Fenpei, tmp_path: Path
) -> None:
    world = build_world(app)
    reps = [world.alice, world.bob, world.carol, world.dan]
    add_rule(app, name="Everyone", conditions={}, target={"kind": "reps", "rep_ids": reps})
    leads = _csv(tmp_path)

    # Killed inside the second batch's transaction: the first batch stays, waiting.
    _kill_at(app, "importing:2", "import", "customers", str(leads))
    counts = _counts(app)
    assert counts["customers"] == counts["pending"] == BATCH_ROWS
    assert counts["owned"] == counts["records"] == 0
    job = _job(app)
    assert (job["status"], job["rows"], job["rows_imported"]) == ("running", ROWS, BATCH_ROWS)
    assert job["last_row"] == BATCH_ROWS + 1  # the header is line 1

    # The queue job routes what the dead import left.
    result = _run(app, "jobs", "run", "retry-queue")
    assert result.exit_code == 0, result.output
    counts = _counts(app)
    assert counts["owned"] == counts["records"] == BATCH_ROWS
    assert counts["pending"] == 0

    # Running the file again without saying what to do is refused; nothing is added.
    refused = _run(app, "import", "customers", str(leads))
    assert refused.exit_code == 2, refused.output
    assert f"import job {job['id']}" in refused.output and "--resume" in refused.output
    assert _counts(app)["customers"] == BATCH_ROWS

    # Resumed, and killed inside the second routing batch's transaction.
    _kill_at(app, "routing:2", "import", "customers", str(leads), "--resume")
    counts = _counts(app)
    assert counts["customers"] == counts["external_ids"] == ROWS
    assert counts["owned"] == BATCH_ROWS + ROUTE_BATCH
    assert counts["pending"] == ROWS - BATCH_ROWS - ROUTE_BATCH

    # The queue job again, then --resume finishes the job (nothing left to write or route).
    assert _run(app, "jobs", "run", "retry-queue").exit_code == 0
    finished = _run(app, "import", "customers", str(leads), "--resume")
    assert finished.exit_code == 0, finished.output
    assert _job(app)["status"] == ImportStatus.done

    counts = _counts(app)
    assert counts["customers"] == counts["external_ids"] == ROWS  # each row once
    assert counts["owned"] == counts["records"] == counts["customers_with_records"] == ROWS
    assert counts["pending"] == 0
    assert _job(app)["rows_routed"] == ROWS
    doctor = _run(app, "doctor")
    assert doctor.exit_code == 0, doctor.output

    # The same file once more: refused by its hash, naming the job; nothing added.
    again = _run(app, "import", "customers", str(leads))
    assert again.exit_code == 2
    assert f"already imported by import job {job['id']}" in again.output
    assert _counts(app)["customers"] == ROWS
    listed = _run(app, "import", "jobs")
    assert listed.exit_code == 0 and "done" in listed.output


def test_a_file_imported_whole_routes_everything_and_is_not_imported_twice(
    app: Fenpei, tmp_path: Path
) -> None:
    world = build_world(app)
    add_rule(app, name="Dan", conditions={}, target={"kind": "reps", "rep_ids": [world.dan]})
    leads = tmp_path / "small.csv"
    leads.write_text("name,phone\n" + "".join(f"Small {n},1390000{n:04d}\n" for n in range(50)))

    first = _run(app, "import", "customers", str(leads))
    assert first.exit_code == 0, first.output
    assert "Routed: 50 assigned" in first.output
    assert _run(app, "import", "customers", str(leads)).exit_code == 2
    assert _counts(app)["customers"] == 50

    # --again imports the rows anew (this file has no external ids to clash), and routes them.
    again = _run(app, "import", "customers", str(leads), "--again", "--no-route")
    assert again.exit_code == 0, again.output
    counts = _counts(app)
    assert (counts["customers"], counts["owned"], counts["pending"]) == (100, 50, 0)


def test_two_first_imports_of_one_file_at_once_start_one_job(app: Fenpei) -> None:
    """Both find no earlier job of the file; the database lets one start (the unique index
    on running jobs' SHA-256) and the other is told which job holds the file. Once the
    first has finished, ``--again`` may start another."""
    table = Table(name="leads.csv", headers=["name"], rows=[(2, {"name": "Lead"})])
    sha = "cd" * 32
    for _ in range(2):  # the two imports check the file before either starts
        with app.uow() as uow:
            assert jobs.choose_job(uow, sha256=sha, again=False, resume=False) is None

    def start() -> ImportJob:
        with app.uow() as uow:
            job = jobs.start_job(uow, table, sha256=sha, actor=SYSTEM, now=app.now(), route=False)
            uow.commit()
            return job

    first = start()
    with pytest.raises(jobs.AlreadyImported, match=f"import job {first.id} .* --resume"):
        start()
    assert first.id is not None
    jobs.finish_job(app.uow, first.id, now=app.now())
    again = start()
    assert again.id != first.id
    with app.engine.connect() as connection:
        statuses = connection.execute(
            sa.select(tables.import_jobs.c.status).order_by(tables.import_jobs.c.id)
        ).scalars()
        assert list(statuses) == [ImportStatus.done, ImportStatus.running]
