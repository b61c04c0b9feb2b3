"""导入: customers imported from files in the browser — the list of imports, the upload,
the job page with its progress (polled by htmx, no script of ours) and the error file.

Admins and managers import (as they create customers); reps and auditors get 403 from
the services. Mapping and preview are in pages_imports_map.py.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.users import Actor, User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.http.fields import Id
from fenpei.services import scope
from fenpei.services.imports import uploads
from fenpei.services.ports import UnitOfWork
from fenpei.web import pages_imports_map
from fenpei.web._import_words import error_lines, stored_error_lines
from fenpei.web.i18n import translator
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
router.include_router(pages_imports_map.router)
LISTED = 50


def _list_page(
    request: Request, uow: UnitOfWork, user: User, actor: Actor, *, errors: list[str],
    status_code: int = 200,
) -> Response:  # fmt: skip
    fenpei = request.app.state.fenpei
    context = {
        "user": user,
        "active": "imports",
        "imports": uploads.recent(uow, actor, limit=LISTED),
        "jobs": uploads.recent_jobs(uow, actor),
        "errors": errors,
        "max_bytes": fenpei.settings.max_upload_bytes,
    }
    return render(request, "imports/list.html", context, status_code=status_code)


@router.get("/imports")
def imports_page(request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor) -> Response:
    """导入: the imports made from the browser and the API, and the upload form."""
    return _list_page(request, uow, user, actor, errors=[])


@router.post("/imports")
async def upload(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    file: Annotated[UploadFile, File()],
    sheet: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Keep the uploaded file as a draft and go on to map its columns."""
    scope.require_writer(actor, "import customers")
    limit = fenpei.settings.max_upload_bytes
    data = await file.read(limit + 1)
    t = translator(page_language(request))
    try:
        if len(data) > limit:
            raise ValidationFailed.one("file", t("imports.error.too_big", limit=f"{limit:,}"))
        made = uploads.receive(
            uow=uow,
            files=fenpei.table_files,
            name=file.filename or "upload.csv",
            data=data,
            actor=actor,
            now=fenpei.now(),
            max_bytes=limit,
            sheet=sheet or None,
        )
        uow.commit()
    except ValidationFailed as refused:
        uow.rollback()
        return _list_page(
            request, uow, user, actor, errors=error_lines(t, refused), status_code=422
        )
    return RedirectResponse(f"/imports/{made.id}/map", status_code=303)


@router.get("/imports/{import_id}")
def job_page(
    request: Request, import_id: Id, uow: UowDep, user: CurrentUser, actor: CurrentActor
) -> Response:
    """An import: its file, mode, progress (refreshed until it ends), errors and error file."""
    progress = uploads.progress(uow, import_id, actor)
    if progress.upload.state.value == "draft":
        return RedirectResponse(f"/imports/{import_id}/map", status_code=303)
    t = translator(page_language(request))
    context = {"user": user, "active": "imports", "p": progress,
               "error_lines": stored_error_lines(t, progress.upload.errors)}  # fmt: skip
    return render(request, "imports/job.html", context)


@router.get("/imports/{import_id}/progress")
def progress_fragment(
    request: Request, import_id: Id, uow: UowDep, actor: CurrentActor
) -> Response:
    """The progress box alone, for htmx's polling (it stops asking once the import ended)."""
    progress = uploads.progress(uow, import_id, actor)
    t = translator(page_language(request))
    context = {"p": progress, "error_lines": stored_error_lines(t, progress.upload.errors)}
    return render(request, "imports/_progress.html", context)


@router.get("/imports/{import_id}/errors")
def error_file(import_id: Id, actor: CurrentActor, fenpei: FenpeiDep) -> Response:
    """The bad rows with their problems, in the uploaded file's format (audited: a GET's
    own unit of work is read-only, so the download writes its audit entry in another)."""
    with fenpei.uow() as uow:
        name, data = uploads.error_file(uow, import_id, actor, now=fenpei.now())
        uow.commit()
    return file_response(name, data)


def file_response(name: str, data: bytes) -> Response:
    kind = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if name.endswith(".xlsx")
        else "text/csv; charset=utf-8"
    )
    disposition = (
        f"attachment; filename=\"errors.{name.rpartition('.')[2]}\"; filename*=UTF-8''{quote(name)}"
    )
    return Response(data, media_type=kind, headers={"Content-Disposition": disposition})
