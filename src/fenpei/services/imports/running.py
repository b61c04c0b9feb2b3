"""Import from the browser and the API, the worker's part: a queued upload is claimed by
one worker (``fenpei worker``, or the one inside ``fenpei serve``) and imported as the
durable import job of services/import_jobs.py — checked whole, written in batches that
move the job's progress, routed, finished. Its bytes are dropped when it ends.

A worker that dies leaves its upload "running" with a claim that stops being renewed;
after ``STALE_AFTER`` another worker takes it over and resumes the job after its last
written row (each batch renews the claim).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from random import Random
from typing import Any

from fenpei.domain.audit import AuditEntry
from fenpei.domain.errors import FenpeiError, FieldError, ValidationFailed
from fenpei.domain.import_jobs import ImportJob
from fenpei.domain.import_uploads import ImportMode, ImportUpload, UploadState
from fenpei.domain.phrases import phrase_data
from fenpei.domain.users import Actor
from fenpei.services import import_jobs as jobs
from fenpei.services._import_columns import resolve_columns
from fenpei.services.imports.checking import GoodRows, bad_rows_with_errors, check_rows
from fenpei.services.imports.ports import TableFiles
from fenpei.services.ports import UnitOfWork
from fenpei.services.rulebook import RuleBook

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=10)
DRAFTS_KEPT = timedelta(days=1)
LISTED_ERRORS = 100
ERROR_HEADER = "错误 / error"

UowFactory = Callable[[], UnitOfWork]


def run_waiting(
    *,
    uow_factory: UowFactory,
    files: TableFiles,
    rulebook: RuleBook,
    now: Callable[[], datetime],
    rng: Callable[[], Random],
    zone: tzinfo | None = None,
) -> int:
    """Import every queued upload (and take over stale ones); drop drafts left for a day.
    How many were run."""
    at = now()
    # Read first, write only when there is something to do: the worker asks every round,
    # and a write would take SQLite's write lock each time.
    with uow_factory() as uow:
        waiting = uow.import_uploads.waiting(stale_before=at - STALE_AFTER)
        old_drafts = uow.import_uploads.has_drafts(before=at - DRAFTS_KEPT)
    if old_drafts:
        with uow_factory() as uow:
            uow.import_uploads.delete_drafts(before=at - DRAFTS_KEPT)
            uow.commit()
    ran = 0
    for upload_id in waiting:
        ran += run_upload(
            uow_factory=uow_factory,
            files=files,
            rulebook=rulebook,
            upload_id=upload_id,
            now=now,
            rng=rng(),
            zone=zone,
        )
    return ran


def run_upload(
    *,
    uow_factory: UowFactory,
    files: TableFiles,
    rulebook: RuleBook,
    upload_id: int,
    now: Callable[[], datetime],
    rng: Random,
    zone: tzinfo | None = None,
) -> bool:
    """Claim and import one upload; False if another worker holds it."""
    at = now()
    with uow_factory() as uow:
        if not uow.import_uploads.claim(upload_id, now=at, stale_before=at - STALE_AFTER):
            return False
        upload = uow.import_uploads.get(upload_id)
        uow.commit()
    assert upload is not None
    try:
        _run(uow_factory, files, rulebook, upload, now, rng, zone)
    except ValidationFailed as exc:
        _fail(uow_factory, upload, now(), errors=exc.errors, note=_first(exc))
    except (FenpeiError, jobs.AlreadyImported) as exc:
        _fail(uow_factory, upload, now(), errors=[], note=str(exc)[:1000])
    except Exception:  # recorded, not lost: the job page says it failed
        log.exception("import %s failed", upload_id)
        _fail(uow_factory, upload, now(), errors=[], note="the import stopped on an error")
    return True


def stored_errors(errors: Sequence[FieldError]) -> list[dict[str, Any]]:
    """Errors as the upload keeps them: where, the English text, and the phrase (key and
    values) a page says in its own language."""
    return [
        {"field": e.field, "message": str(e.message), "phrase": phrase_data(e.message)}
        for e in errors
    ]


def _first(exc: ValidationFailed) -> str:
    return str(exc)[:1000]


def _fail(
    uow_factory: UowFactory,
    upload: ImportUpload,
    at: datetime,
    *,
    errors: Sequence[FieldError],
    note: str,
    bad_rows: int | None = None,
    error_file: bytes | None = None,
) -> None:
    assert upload.id is not None
    listed = stored_errors(errors[:LISTED_ERRORS])
    values: dict[str, object] = {
        "state": UploadState.failed,
        "finished_at": at,
        "note": note[:1000],
        "errors": listed,
        "data": b"",
    }
    if bad_rows is not None:
        values["bad_rows"] = bad_rows
    if error_file is not None:
        values["error_file"] = error_file
    with uow_factory() as uow:
        uow.import_uploads.update(upload.id, **values)
        uow.audit.add(
            AuditEntry(
                actor=upload.uploaded_by,
                action="import.failed",
                object_type="import_upload",
                object_id=str(upload.id),
                at=at,
                after={"file": upload.file_name, "note": note[:200], "bad_rows": bad_rows or 0},
            )
        )
        uow.commit()


def _run(
    uow_factory: UowFactory,
    files: TableFiles,
    rulebook: RuleBook,
    upload: ImportUpload,
    now: Callable[[], datetime],
    rng: Random,
    zone: tzinfo | None,
) -> None:
    assert upload.id is not None
    upload_id = upload.id
    actor = Actor(upload.uploaded_by)
    at = now()
    zone = zone or at.tzinfo or UTC
    with files.open(upload.file_name, upload.data, sheet=upload.sheet) as (table, facts):
        with uow_factory() as uow:
            custom_fields = uow.custom_fields.all()
            columns = resolve_columns(table.headers, upload.mapping, custom_fields)
            check = check_rows(uow, table, columns, zone=zone, custom_fields=custom_fields)
        error_file = None
        if check.bad:
            _, error_file = files.error_file(
                upload.file_name,
                table.headers,
                bad_rows_with_errors(table, check.bad),
                error_header=ERROR_HEADER,
                delimiter=facts.delimiter,
            )
        good = GoodRows(table, frozenset(check.bad))
        if check.bad and upload.mode is ImportMode.all_or_nothing:
            note = f"{check.bad_rows} of {check.rows} rows have problems; nothing was imported"
            _fail(uow_factory, upload, now(), errors=check.first_errors(LISTED_ERRORS),
                  note=note, bad_rows=check.bad_rows, error_file=error_file)  # fmt: skip
            return
        if good.count == 0:
            note = f"all {check.rows} rows have problems; nothing was imported"
            _fail(uow_factory, upload, now(), errors=check.first_errors(LISTED_ERRORS),
                  note=note, bad_rows=check.bad_rows, error_file=error_file)  # fmt: skip
            return
        with uow_factory() as uow:
            job = _job(uow, upload, good, table.sha256, actor, now())
            assert job.id is not None
            uow.import_uploads.update(
                upload_id,
                job_id=job.id,
                bad_rows=check.bad_rows,
                errors=stored_errors(check.first_errors(LISTED_ERRORS)),
                error_file=error_file,
            )
            uow.commit()

        def heartbeat(done: int, total: int) -> None:
            with uow_factory() as uow:
                uow.import_uploads.update(upload_id, claimed_at=now())
                uow.commit()

        jobs.write_rows(
            uow_factory=uow_factory,
            table=good,
            job=job,
            actor=actor,
            now=now,
            zone=zone,
            mapping=upload.mapping,
            progress=heartbeat,
        )
    if job.route:
        jobs.route_pending(
            uow_factory=uow_factory,
            rulebook=rulebook,
            job_id=job.id,
            actor=actor,
            now=now,
            rng=rng,
            progress=heartbeat,
        )
    done = jobs.finish_job(uow_factory, job.id, now=now())
    with uow_factory() as uow:
        skipped = f"; {check.bad_rows} bad rows skipped" if check.bad else ""
        uow.import_uploads.update(
            upload_id,
            state=UploadState.done,
            finished_at=now(),
            data=b"",
            note=f"{done.rows_imported} rows imported{skipped}",
        )
        uow.commit()


def _job(
    uow: UnitOfWork,
    upload: ImportUpload,
    good: GoodRows,
    sha256: str,
    actor: Actor,
    at: datetime,
) -> ImportJob:
    """The upload's import job: the one it started before (a worker took it over), or new."""
    if upload.job_id is not None:
        job = uow.import_jobs.get(upload.job_id)
        if job is not None:
            return job
    return jobs.start_job(uow, good, sha256=sha256, actor=actor, now=at, route=upload.route)
