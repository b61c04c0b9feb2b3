"""Import from the browser and the API, the request's part: receive a file, show how its
columns map and how its first rows will be stored, then queue its import for a worker
(services/imports/running.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

from fenpei.domain.audit import AuditEntry
from fenpei.domain.errors import FieldError, NotFound, ValidationFailed
from fenpei.domain.import_jobs import ImportJob
from fenpei.domain.import_uploads import ImportMode, ImportUpload, UploadState
from fenpei.domain.limits import clean_text
from fenpei.domain.users import Actor
from fenpei.services import scope
from fenpei.services._import_columns import resolve_columns
from fenpei.services.imports import mapping as mappings
from fenpei.services.imports.checking import RowCheck, check_rows
from fenpei.services.imports.ports import TableFiles
from fenpei.services.ports import UnitOfWork

MAX_NAME = 200


def _size_problem(size: int, limit: int) -> str | None:
    if size == 0:
        return "is empty (0 bytes)"
    if size > limit:
        return f"is {size:,} bytes; at most {limit:,} bytes may be uploaded"
    return None


def receive(
    *,
    uow: UnitOfWork,
    files: TableFiles,
    name: str,
    data: bytes,
    actor: Actor,
    now: datetime,
    max_bytes: int,
    sheet: str | None = None,
) -> ImportUpload:
    """Read an uploaded file (CSV / TSV / xlsx) and keep it as a draft: its columns, row
    count, detected encoding, sheets. ``ValidationFailed`` (field ``file``) if it cannot
    be read as a table; nothing is kept then."""
    scope.require_writer(actor, "import customers")
    name = clean_text(name.strip().replace("/", "_").replace("\\", "_"))[-MAX_NAME:] or "upload"
    if "." not in name:  # a program's upload without a file name: tell the kind by content
        name += ".xlsx" if data.startswith(b"PK\x03\x04") else ".csv"
    if problem := _size_problem(len(data), max_bytes):
        raise ValidationFailed.one("file", f"{name!r} {problem}")
    with files.open(name, data, sheet=sheet or None) as (table, facts):
        upload = ImportUpload(
            file_name=name,
            data=data,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=actor.name[:64],
            uploaded_at=now,
            headers=list(table.headers),
            rows=table.count,
            encoding=facts.encoding,
            sheet=facts.sheet,
            sheets=facts.sheets,
        )
    return uow.import_uploads.add(upload)


def get_upload(uow: UnitOfWork, upload_id: int, actor: Actor) -> ImportUpload:
    """An upload, without its bytes; admins and managers only."""
    scope.require_writer(actor, "see imports")
    upload = uow.import_uploads.get(upload_id, with_bytes=False)
    if upload is None:
        raise NotFound("import", upload_id)
    return upload


def _draft(uow: UnitOfWork, upload_id: int, actor: Actor) -> ImportUpload:
    scope.require_writer(actor, "import customers")
    upload = uow.import_uploads.get(upload_id)
    if upload is None:
        raise NotFound("import", upload_id)
    if upload.state is not UploadState.draft:
        raise ValidationFailed.one(
            "import", f"import {upload_id} was already started; upload the file again"
        )
    return upload


def choose_sheet(
    *, uow: UnitOfWork, files: TableFiles, upload_id: int, sheet: str, actor: Actor
) -> ImportUpload:
    """Read another sheet of an uploaded workbook."""
    upload = _draft(uow, upload_id, actor)
    with files.open(upload.file_name, upload.data, sheet=sheet) as (table, facts):
        values = {"headers": list(table.headers), "rows": table.count, "sheet": facts.sheet}
    uow.import_uploads.update(upload_id, **values)
    return get_upload(uow, upload_id, actor)


@dataclass(frozen=True)
class Preview:
    """The columns as mapped, the first rows as stored, and the whole file's bad rows."""

    upload: ImportUpload
    mapping: dict[str, str | None]
    columns: dict[str, str]
    check: RowCheck


def preview(
    *,
    uow: UnitOfWork,
    files: TableFiles,
    upload_id: int,
    mapping: Mapping[str, str | None],
    actor: Actor,
    zone: tzinfo,
) -> Preview:
    """Check every row of the upload with ``mapping``; ``ValidationFailed`` if the mapping
    itself is wrong (a field filled twice, no name column)."""
    upload = _draft(uow, upload_id, actor)
    custom_fields = uow.custom_fields.all()
    whole = {h: mapping.get(h) for h in upload.headers}
    columns = resolve_columns(upload.headers, whole, custom_fields)
    with files.open(upload.file_name, upload.data, sheet=upload.sheet) as (table, _):
        check = check_rows(uow, table, columns, zone=zone, custom_fields=custom_fields)
    return Preview(upload, whole, columns, check)


def start(
    *,
    uow: UnitOfWork,
    upload_id: int,
    mapping: Mapping[str, str | None],
    source: str | None,
    mode: ImportMode,
    route: bool,
    actor: Actor,
    now: datetime,
) -> ImportUpload:
    """Remember the mapping for the source and queue the import for a worker (audited)."""
    upload = _draft(uow, upload_id, actor)
    custom_fields = uow.custom_fields.all()
    whole = {h: mapping.get(h) for h in upload.headers}
    unknown = [h for h in mapping if h not in upload.headers]
    if unknown:
        raise ValidationFailed(
            [FieldError(f"mapping.{h}", "is not a column of the file") for h in unknown]
        )
    resolve_columns(upload.headers, whole, custom_fields)
    key = mappings.remember(
        uow, source=source, headers=upload.headers, mapping=whole, actor=actor, now=now
    )
    uow.import_uploads.update(
        upload_id,
        state=UploadState.queued,
        mapping=whole,
        source=key,
        mode=mode,
        route=route,
    )
    uow.audit.add(
        AuditEntry(
            actor=actor.name,
            action="import.queued",
            object_type="import_upload",
            object_id=str(upload_id),
            at=now,
            after={
                "file": upload.file_name,
                "rows": upload.rows,
                "mode": mode.value,
                "route": route,
                "source": key,
                "mapping": whole,
            },
        )
    )
    return get_upload(uow, upload_id, actor)


def error_file(
    uow: UnitOfWork, upload_id: int, actor: Actor, *, now: datetime
) -> tuple[str, bytes]:
    """The upload's error file (name, bytes); reading it is audited (it reveals data).
    The caller commits."""
    upload = get_upload(uow, upload_id, actor)
    full = uow.import_uploads.get(upload_id)
    if full is None or full.error_file is None:
        raise NotFound("error file of import", upload_id)
    uow.audit.add(
        AuditEntry(
            actor=actor.name,
            action="import.error_file",
            object_type="import_upload",
            object_id=str(upload_id),
            at=now,
            after={"file": upload.file_name, "bad_rows": upload.bad_rows},
        )
    )
    return error_file_name(upload), full.error_file


def error_file_name(upload: ImportUpload) -> str:
    stem, dot, suffix = upload.file_name.rpartition(".")
    if not dot:
        return f"{upload.file_name}-errors.csv"
    kept = suffix.lower()
    if kept in ("xlsx", "xlsm"):
        return f"{stem}-errors.xlsx"
    return f"{stem}-errors.{kept if kept in ('csv', 'tsv', 'txt') else 'csv'}"


@dataclass(frozen=True)
class Progress:
    """An upload's import as the job page and the API show it."""

    upload: ImportUpload
    job: ImportJob | None
    pending: int
    has_error_file: bool

    @property
    def finished(self) -> bool:
        return self.upload.state.finished

    @property
    def rows_total(self) -> int:
        return self.job.rows if self.job else self.upload.rows - self.upload.bad_rows

    @property
    def rows_done(self) -> int:
        return self.job.rows_imported if self.job else 0

    @property
    def percent(self) -> int:
        total = self.rows_total
        return (
            100 if self.finished and total == 0 else (self.rows_done * 100 // total if total else 0)
        )


def progress(uow: UnitOfWork, upload_id: int, actor: Actor) -> Progress:
    upload = get_upload(uow, upload_id, actor)
    job = uow.import_jobs.get(upload.job_id) if upload.job_id is not None else None
    pending = uow.import_jobs.pending_count(job.id) if job and job.id is not None else 0
    return Progress(upload, job, pending, uow.import_uploads.has_error_file(upload_id))


def recent(uow: UnitOfWork, actor: Actor, *, limit: int = 50) -> list[Progress]:
    scope.require_writer(actor, "see imports")
    found = []
    for upload in uow.import_uploads.recent(limit=limit):
        job = uow.import_jobs.get(upload.job_id) if upload.job_id is not None else None
        found.append(Progress(upload, job, 0, upload.bad_rows > 0))
    return found


def recent_jobs(uow: UnitOfWork, actor: Actor, *, limit: int = 20) -> list[ImportJob]:
    """Every import job, from the browser, the API or the command line, newest first."""
    scope.require_writer(actor, "see imports")
    return uow.import_jobs.recent(limit=limit)
