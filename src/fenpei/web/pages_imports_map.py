"""导入 — mapping and preview: each column of the uploaded file → a customer field (or
ignore), pre-filled from the source's remembered mapping or the Chinese and English
header aliases; the first rows as they will be stored with their bad cells marked, the
whole file's count of bad rows; then the import, all-or-nothing or skipping bad rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.import_uploads import ImportMode, ImportUpload
from fenpei.domain.users import User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.http.fields import Id
from fenpei.services.imports import mapping as mappings
from fenpei.services.imports import uploads
from fenpei.services.ports import UnitOfWork
from fenpei.web._import_words import error_lines, target_choices
from fenpei.web._said import said
from fenpei.web.i18n import translator
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
_MAX_FIELD = 200


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    upload: ImportUpload,
    *,
    mapping: Mapping[str, str | None],
    source: str,
    remembered: str | None,
    form: Mapping[str, Any],
    preview: uploads.Preview | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    t = translator(page_language(request))
    custom_fields = uow.custom_fields.all()
    marked: list[dict[str, str]] = []
    if preview is not None:
        marked = [
            {target: said(t, message) for target, message in _messages(row.number, preview).items()}
            for row in preview.check.preview
        ]
    context = {
        "user": user,
        "active": "imports",
        "upload": upload,
        "choices": target_choices(t, custom_fields),
        "mapping": mapping,
        "source": source,
        "remembered": remembered,
        "form": form,
        "preview": preview,
        "marked": marked,
        "errors": errors or [],
        "signature": mappings.header_signature(upload.headers),
    }
    return render(request, "imports/map.html", context, status_code=status_code)


def _messages(number: int, preview: uploads.Preview) -> dict[str, object]:
    prefix = f"row {number}."
    return {e.field.removeprefix(prefix): e.message for e in preview.check.bad.get(number, [])}


@router.get("/imports/{import_id}/map")
def map_page(
    request: Request, import_id: Id, uow: UowDep, user: CurrentUser, actor: CurrentActor
) -> Response:
    """The columns of the file with the field each fills, pre-filled."""
    upload = uploads.get_upload(uow, import_id, actor)
    if upload.state.value != "draft":
        return RedirectResponse(f"/imports/{import_id}", status_code=303)
    mapping, remembered = mappings.suggest(uow, upload.headers, source=None)
    form = {"mode": ImportMode.all_or_nothing.value, "route": True}
    return _page(
        request, uow, user, upload, mapping=mapping, source="", remembered=remembered, form=form
    )


async def _read_form(
    request: Request, uow: UnitOfWork, upload: ImportUpload
) -> tuple[dict[str, str | None], str, dict[str, Any]]:
    """The mapping, the source and the other choices sent by the form."""
    sent = await request.form()
    custom_fields = uow.custom_fields.all()
    mapping: dict[str, str | None] = {}
    errors: list[FieldError] = []
    for index, header in enumerate(upload.headers):
        value = str(sent.get(f"col_{index}") or "")[:_MAX_FIELD]
        try:
            mapping[header] = mappings.target_of(value, custom_fields, at=f"mapping.{header}")
        except ValidationFailed as exc:
            errors += exc.errors
    source = str(sent.get("source") or "")[: _MAX_FIELD + 1]
    mode = str(sent.get("mode") or ImportMode.all_or_nothing.value)
    if mode not in {m.value for m in ImportMode}:
        errors.append(FieldError("mode", "choose all or skip"))
        mode = ImportMode.all_or_nothing.value
    form = {"mode": mode, "route": sent.get("route") == "on"}
    if errors:
        raise _FormRefused(mapping, source, form, ValidationFailed(errors))
    return mapping, source, form


class _FormRefused(Exception):
    def __init__(
        self,
        mapping: dict[str, str | None],
        source: str,
        form: dict[str, Any],
        refused: ValidationFailed,
    ) -> None:
        super().__init__(str(refused))
        self.mapping, self.source, self.form, self.refused = mapping, source, form, refused


@router.post("/imports/{import_id}/remembered")
async def load_remembered(
    request: Request, import_id: Id, uow: UowDep, user: CurrentUser, actor: CurrentActor
) -> Response:
    """Fill the form from the mapping remembered for the source typed in."""
    upload = uploads.get_upload(uow, import_id, actor)
    sent = await request.form()
    source = str(sent.get("source") or "")[: _MAX_FIELD + 1]
    t = translator(page_language(request))
    form = {"mode": ImportMode.all_or_nothing.value, "route": True}
    try:
        mapping, remembered = mappings.suggest(uow, upload.headers, source=source)
    except ValidationFailed as refused:
        mapping, remembered = mappings.suggest(uow, upload.headers, source=None)
        return _page(request, uow, user, upload, mapping=mapping, source=source,
                     remembered=remembered, form=form, errors=error_lines(t, refused),
                     status_code=422)  # fmt: skip
    return _page(
        request, uow, user, upload, mapping=mapping, source=source, remembered=remembered,
        form=form,
    )  # fmt: skip


@router.post("/imports/{import_id}/sheet")
async def choose_sheet(
    request: Request,
    import_id: Id,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> Response:
    """Read another sheet of the workbook."""
    sent = await request.form()
    sheet = str(sent.get("sheet") or "")[:_MAX_FIELD]
    t = translator(page_language(request))
    try:
        uploads.choose_sheet(
            uow=uow, files=fenpei.table_files, upload_id=import_id, sheet=sheet, actor=actor
        )
        uow.commit()
    except ValidationFailed as refused:
        uow.rollback()
        upload = uploads.get_upload(uow, import_id, actor)
        mapping, remembered = mappings.suggest(uow, upload.headers, source=None)
        return _page(request, uow, user, upload, mapping=mapping, source="",
                     remembered=remembered, form={"mode": "all", "route": True},
                     errors=error_lines(t, refused), status_code=422)  # fmt: skip
    return RedirectResponse(f"/imports/{import_id}/map", status_code=303)


@router.post("/imports/{import_id}/preview")
async def preview(
    request: Request,
    import_id: Id,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> Response:
    """The first rows as they will be stored, bad cells marked; the file's bad-row count."""
    upload = uploads.get_upload(uow, import_id, actor)
    t = translator(page_language(request))
    try:
        mapping, source, form = await _read_form(request, uow, upload)
    except _FormRefused as bad:
        return _page(request, uow, user, upload, mapping=bad.mapping, source=bad.source,
                     remembered=None, form=bad.form, errors=error_lines(t, bad.refused),
                     status_code=422)  # fmt: skip
    try:
        shown = uploads.preview(
            uow=uow,
            files=fenpei.table_files,
            upload_id=import_id,
            mapping=mapping,
            actor=actor,
            zone=fenpei.settings.zone,
        )
    except ValidationFailed as refused:
        return _page(request, uow, user, upload, mapping=mapping, source=source,
                     remembered=None, form=form, errors=error_lines(t, refused),
                     status_code=422)  # fmt: skip
    return _page(
        request, uow, user, upload, mapping=mapping, source=source, remembered=None,
        form=form, preview=shown,
    )  # fmt: skip


@router.post("/imports/{import_id}/start")
async def start(
    request: Request,
    import_id: Id,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> Response:
    """Remember the mapping and queue the import; the job page follows its progress."""
    upload = uploads.get_upload(uow, import_id, actor)
    t = translator(page_language(request))
    try:
        mapping, source, form = await _read_form(request, uow, upload)
        uploads.start(
            uow=uow,
            upload_id=import_id,
            mapping=mapping,
            source=source,
            mode=ImportMode(form["mode"]),
            route=bool(form["route"]),
            actor=actor,
            now=fenpei.now(),
        )
        uow.commit()
    except _FormRefused as bad:
        return _page(request, uow, user, upload, mapping=bad.mapping, source=bad.source,
                     remembered=None, form=bad.form, errors=error_lines(t, bad.refused),
                     status_code=422)  # fmt: skip
    except ValidationFailed as refused:
        uow.rollback()
        return _page(request, uow, user, upload, mapping=mapping, source=source,
                     remembered=None, form=form, errors=error_lines(t, refused),
                     status_code=422)  # fmt: skip
    return RedirectResponse(f"/imports/{import_id}", status_code=303)
