"""Attachments (资料) from the customer page: upload, download or preview, delete. A refused
upload re-renders the customer page with the reason next to the form (nothing stored)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.users import User
from fenpei.http.deps import CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.downloads import file_response
from fenpei.http.fields import Id
from fenpei.services.files import attachments
from fenpei.web._attachments_view import refusal_text
from fenpei.web.i18n import translator
from fenpei.web.pages import customer_context
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)


def _again(
    request: Request, uow: UowDep, user: User, customer_id: int, now: datetime, *,
    error: str, status_code: int,
) -> Response:  # fmt: skip
    """The customer page again, the upload's problem by its form (nothing stored)."""
    uow.rollback()
    context = {**customer_context(request, uow, user, customer_id, now), "attach_error": error}
    return render(request, "customer.html", context, status_code=status_code)


@router.post("/customers/{customer_id}/attachments")
def upload_attachment(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    customer_id: Id,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Attach a file to the customer from its page."""
    now = fenpei.now()
    t = translator(page_language(request))
    limit = fenpei.settings.attachment_max_bytes
    attachments.require_uploader(uow=uow, actor=actor_of(user), customer_id=customer_id)
    if file is None or (not file.filename and not file.size):
        return _again(request, uow, user, customer_id, now, error=t("files.error.no_file"),
                      status_code=422)  # fmt: skip
    try:
        attachment = attachments.upload(
            uow=uow, store=fenpei.files, customer_id=customer_id, stream=file.file,
            file_name=file.filename or "", actor=actor_of(user), now=now, max_bytes=limit,
        )  # fmt: skip
    except attachments.FileTooLarge as exc:
        return _again(request, uow, user, customer_id, now,
                      error=refusal_text(t, exc, max_bytes=limit), status_code=413)  # fmt: skip
    except ValidationFailed as exc:
        return _again(request, uow, user, customer_id, now,
                      error=refusal_text(t, exc, max_bytes=limit), status_code=422)  # fmt: skip
    try:
        uow.commit()
    except BaseException:
        attachments.discard(fenpei.files, attachment)
        raise
    return RedirectResponse(f"/customers/{customer_id}?attached=1#attachments", status_code=303)


def _send(fenpei: FenpeiDep, user: User, attachment_id: int, *, inline: bool) -> Response:
    with fenpei.uow() as uow:  # a write: the download is audited
        download = attachments.open_attachment(
            uow=uow, store=fenpei.files, attachment_id=attachment_id, actor=actor_of(user),
            now=fenpei.now(), inline=inline,
        )  # fmt: skip
        uow.commit()
    return file_response(download, inline=inline)


@router.get("/attachments/{attachment_id}")
def download_attachment(
    user: CurrentUser,
    fenpei: FenpeiDep,
    attachment_id: Id,
    inline: Annotated[bool, Query()] = False,
) -> Response:
    """The file: saved (or shown, for an image or PDF with ``inline=1``)."""
    return _send(fenpei, user, attachment_id, inline=inline)


@router.post("/attachments/{attachment_id}/delete")
def delete_attachment(
    uow: UowDep, user: CurrentUser, fenpei: FenpeiDep, attachment_id: Id
) -> Response:
    """Delete a file (soft); back to its customer's page."""
    found = attachments.get_attachment(uow=uow, attachment_id=attachment_id, actor=actor_of(user))
    attachments.delete_attachment(
        uow=uow, attachment_id=attachment_id, actor=actor_of(user), now=fenpei.now()
    )
    uow.commit()
    return RedirectResponse(
        f"/customers/{found.customer_id}?detached=1#attachments", status_code=303
    )
