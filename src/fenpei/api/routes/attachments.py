"""A customer's attachments (资料): upload (multipart), list, download, delete; under the
customers area (tokens need ``customers:read`` / ``customers:write``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, UploadFile, status
from fastapi.responses import JSONResponse, Response

from fenpei.api.attachment_schemas import AttachmentRead
from fenpei.api.routes.customers import CustomerId
from fenpei.api.schemas import ErrorRead
from fenpei.domain import file_types
from fenpei.domain.attachments import Attachment
from fenpei.http.deps import CurrentActor, FenpeiDep, UowDep
from fenpei.http.downloads import file_response, previewable
from fenpei.http.fields import MAX_ID
from fenpei.services.files import attachments

router = APIRouter(tags=["customers"])
# Every type a stored file can have (domain/file_types.py), each a binary body.
_FILE_TYPES = {
    kind.content_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
    for kind in file_types.ALLOWED
}
AttachmentId = Annotated[int, Path(ge=1, le=MAX_ID, description="The attachment's id.")]
_UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorRead, "description": "The multipart body cannot be read."},
    403: {"model": ErrorRead, "description": "An auditor, or a token without customers:write."},
    404: {"model": ErrorRead, "description": "No such customer among those you may see."},
    413: {"model": ErrorRead, "description": "The file is larger than the limit; not stored."},
    422: {"model": ErrorRead, "description": "Not an allowed type (by content), or no file."},
}


def attachment_read(attachment: Attachment) -> AttachmentRead:
    read = AttachmentRead.model_validate(attachment)
    base = f"/api/v1/attachments/{attachment.id}/content"
    preview = f"{base}?inline=true" if previewable(attachment) else None
    return read.model_copy(update={"download_url": base, "preview_url": preview})


@router.get("/customers/{customer_id}/attachments", responses={404: {"model": ErrorRead}})
def list_attachments(
    customer_id: CustomerId,
    uow: UowDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=attachments.MAX_LISTED)] = 100,
) -> list[AttachmentRead]:
    """The customer's files, newest first."""
    found = attachments.list_attachments(uow=uow, customer_id=customer_id, actor=actor, limit=limit)
    return [attachment_read(a) for a in found]


@router.post(
    "/customers/{customer_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentRead,
    responses=_UPLOAD_RESPONSES,
)
def upload_attachment(
    customer_id: CustomerId,
    file: Annotated[UploadFile, File(description="The file; its type is read from its bytes.")],
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    task_id: Annotated[
        int | None, Form(ge=1, le=MAX_ID, description="One of the customer's tasks.")
    ] = None,
    follow_up_id: Annotated[
        int | None, Form(ge=1, le=MAX_ID, description="One of the customer's follow-ups.")
    ] = None,
) -> Any:
    """Attach a file to the customer (optionally to one of its tasks or follow-ups): PDF,
    images, Word, Excel, PowerPoint, text, CSV or zip, checked by content; at most
    ``FENPEI_ATTACHMENT_MAX_BYTES``."""
    try:
        attachment = attachments.upload(
            uow=uow, store=fenpei.files, customer_id=customer_id, stream=file.file,
            file_name=file.filename or "", actor=actor, now=fenpei.now(),
            max_bytes=fenpei.settings.attachment_max_bytes, task_id=task_id,
            follow_up_id=follow_up_id,
        )  # fmt: skip
    except attachments.FileTooLarge as too_large:
        return JSONResponse(too_large.as_dict(), status_code=status.HTTP_413_CONTENT_TOO_LARGE)
    try:
        uow.commit()
    except BaseException:
        attachments.discard(fenpei.files, attachment)
        raise
    return JSONResponse(
        attachment_read(attachment).model_dump(mode="json"), status_code=status.HTTP_201_CREATED
    )


@router.get("/attachments/{attachment_id}", responses={404: {"model": ErrorRead}})
def get_attachment(attachment_id: AttachmentId, uow: UowDep, actor: CurrentActor) -> AttachmentRead:
    """One attachment's details."""
    found = attachments.get_attachment(uow=uow, attachment_id=attachment_id, actor=actor)
    return attachment_read(found)


@router.get(
    "/attachments/{attachment_id}/content",
    responses={
        200: {"content": _FILE_TYPES, "description": "The file's bytes, as sniffed at upload."},
        404: {"model": ErrorRead},
    },
    response_class=Response,
)
def download_attachment(
    attachment_id: AttachmentId,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    inline: Annotated[bool, Query(description="Show an image or PDF in the browser.")] = False,
) -> Response:
    """The file, as an attachment (or inline for an image or PDF with ``inline=true``);
    every download is written to the audit log."""
    with fenpei.uow() as uow:  # a write: the download is audited
        download = attachments.open_attachment(
            uow=uow, store=fenpei.files, attachment_id=attachment_id, actor=actor,
            now=fenpei.now(), inline=inline,
        )  # fmt: skip
        uow.commit()
    return file_response(download, inline=inline)


@router.delete(
    "/attachments/{attachment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={403: {"model": ErrorRead}, 404: {"model": ErrorRead}},
)
def delete_attachment(
    attachment_id: AttachmentId, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> Response:
    """Delete a file (soft: it leaves every list; the audit log keeps who and when). The
    uploader, a manager over the customer or an admin may."""
    attachments.delete_attachment(
        uow=uow, attachment_id=attachment_id, actor=actor, now=fenpei.now()
    )
    uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
