"""Customer imports for programs: upload a file with its mapping and mode (the import runs
in a worker, as from the browser), follow its progress, download its error file.

Needs `customers:write` to upload and `customers:read` to follow (the routes are tagged
customers: an import creates customers); admins and managers only."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from fenpei.api.idempotent import IdempotencyKey, create_once
from fenpei.api.import_schemas import ImportRead
from fenpei.api.schemas import ErrorRead
from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.import_uploads import ImportMode
from fenpei.domain.users import Actor
from fenpei.http.deps import FenpeiDep, UowDep, WriterActor
from fenpei.http.fields import Id
from fenpei.services.imports import mapping as mappings
from fenpei.services.imports import uploads
from fenpei.services.ports import UnitOfWork

router = APIRouter(prefix="/imports", tags=["customers"])

WRITERS_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Logged in, but not an admin or a manager."},
}
UNKNOWN: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorRead, "description": "No import with that id."},
}


REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {
        "model": ImportRead,
        "description": "A retry with the same Idempotency-Key: the "
        "first answer, the file not queued again.",
    },
    409: {
        "model": ErrorRead,
        "description": "The Idempotency-Key was used for another "
        "upload, or its first request is still running.",
    },
}
UPLOAD_REFUSED: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorRead, "description": "The multipart body cannot be parsed."},
    413: {"model": ErrorRead, "description": "The upload is larger than the limit."},
}


@router.post("", status_code=202, responses={**WRITERS_ONLY, **UPLOAD_REFUSED, **REPLAYED})
async def create_import(
    response: Response,
    uow: UowDep,
    actor: WriterActor,
    fenpei: FenpeiDep,
    file: Annotated[UploadFile, File(description="CSV / TSV (UTF-8, GBK, BOM) or .xlsx.")],
    mapping: Annotated[
        str | None,
        Form(
            max_length=100_000,
            description='JSON: {"column": "field" or null}; columns left out are guessed '
            "from their names, or taken from the source's remembered mapping.",
        ),
    ] = None,
    mode: Annotated[
        Literal["all", "skip"],
        Form(description="`all`: any bad row writes nothing; `skip`: import the good rows."),
    ] = "all",
    route: Annotated[bool, Form(description="Route the new customers (else unassigned).")] = True,
    source: Annotated[
        str | None, Form(max_length=200, description="Remember the mapping under this name.")
    ] = None,
    sheet: Annotated[str | None, Form(max_length=200, description="Sheet of a workbook.")] = None,
    idempotency_key: IdempotencyKey = None,
) -> ImportRead:
    """Upload a file and queue its import; answers at once (202) with the import's id:
    follow it with `GET /api/v1/imports/{id}`. A file that cannot be read, or a mapping
    that is wrong, is refused (422) and nothing is kept."""
    limit = fenpei.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed.one("file", f"is larger than {limit:,} bytes")
    payload = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "file": file.filename,
        "mapping": mapping,
        "mode": mode,
        "route": route,
        "source": source,
        "sheet": sheet,
    }

    def create() -> tuple[int, ImportRead]:
        made = _queue(uow, fenpei, actor, file.filename, data, mapping, mode, route, source, sheet)
        return made.id, made

    return create_once(
        uow=uow,
        fenpei=fenpei,
        response=response,
        key=idempotency_key,
        kind="import",
        payload=payload,
        create=create,
        model=ImportRead,
    )


def _queue(
    uow: UnitOfWork,
    fenpei: Fenpei,
    actor: Actor,
    name: str | None,
    data: bytes,
    mapping: str | None,
    mode: str,
    route: bool,
    source: str | None,
    sheet: str | None,
) -> ImportRead:
    """Keep the file, check the mapping, queue the import (not committed)."""
    limit = fenpei.settings.max_upload_bytes
    upload = uploads.receive(
        uow=uow,
        files=fenpei.table_files,
        name=name or "upload.csv",
        data=data,
        actor=actor,
        now=fenpei.now(),
        max_bytes=limit,
        sheet=sheet or None,
    )
    assert upload.id is not None
    custom_fields = uow.custom_fields.all()
    given = mappings.parse_json(mapping, custom_fields) if mapping else {}
    unknown = [h for h in given if h not in upload.headers]
    if unknown:
        raise ValidationFailed.one(
            f"mapping.{unknown[0]}", f"is not a column of the file; its columns: {upload.headers}"
        )
    suggested, _ = mappings.suggest(uow, upload.headers, source=source)
    uploads.start(
        uow=uow,
        upload_id=upload.id,
        mapping=suggested | given,
        source=source,
        mode=ImportMode(mode),
        route=route,
        actor=actor,
        now=fenpei.now(),
    )
    return ImportRead.of(uploads.progress(uow, upload.id, actor))


@router.get("", responses=WRITERS_ONLY)
def list_imports(
    uow: UowDep,
    actor: WriterActor,
    limit: Annotated[int, Query(ge=1, le=200, description="At most this many, newest first.")] = 50,
) -> list[ImportRead]:
    """The imports uploaded from the browser or this API, newest first."""
    return [ImportRead.of(p) for p in uploads.recent(uow, actor, limit=limit)]


@router.get("/{import_id}", responses={**WRITERS_ONLY, **UNKNOWN})
def get_import(import_id: Id, uow: UowDep, actor: WriterActor) -> ImportRead:
    """An import's state and progress (rows written of rows to write, rows routed)."""
    return ImportRead.of(uploads.progress(uow, import_id, actor))


@router.get(
    "/{import_id}/errors",
    responses={
        **WRITERS_ONLY,
        **UNKNOWN,
        200: {"content": {"text/csv": {}}, "description": "The bad rows and their problems."},
    },
    response_class=Response,
)
def get_error_file(import_id: Id, actor: WriterActor, fenpei: FenpeiDep) -> Response:
    """The bad rows with the file's own columns and an error column, in the uploaded
    format (CSV as UTF-8 with BOM); 404 if the import had none (audited)."""
    with fenpei.uow() as uow:  # a GET's own unit of work is read-only; the audit writes
        name, data = uploads.error_file(uow, import_id, actor, now=fenpei.now())
        uow.commit()
    kind = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if name.endswith(".xlsx")
        else "text/csv; charset=utf-8"
    )
    ascii_name = "errors." + name.rpartition(".")[2]
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=kind, headers={"Content-Disposition": disposition})
