"""What the customer page shows of its attachments (资料): the list, the upload form, and
an upload's problem in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fenpei.domain import file_types
from fenpei.domain.attachments import Attachment
from fenpei.domain.errors import NotFound
from fenpei.domain.users import Actor, Role
from fenpei.services.files import attachments
from fenpei.services.ports import UnitOfWork
from fenpei.web.i18n import Translate

_KIND_OF_TYPE = {kind.content_type: kind.code for kind in file_types.ALLOWED}
_KIND_OF_TYPE[file_types.TEXT_GB.content_type] = "txt"
_KIND_OF_TYPE[file_types.CSV_GB.content_type] = "csv"
# Pictures up to this size are shown as thumbnails (the picture itself, bounded by CSS:
# no image library, nothing decoded on the server); larger ones only by their link.
THUMBNAIL_MAX_BYTES = 3 * 1024 * 1024
ACCEPT = ",".join(f".{ext}" for kind in file_types.ALLOWED for ext in kind.extensions)


@dataclass(frozen=True)
class AttachmentRow:
    attachment: Attachment
    kind: str  # a file_types code: pdf, png, docx …
    size: str
    can_delete: bool

    @property
    def thumbnail(self) -> bool:
        return self.attachment.is_image and self.attachment.size_bytes <= THUMBNAIL_MAX_BYTES


def size_text(size: int) -> str:
    """``1536`` → ``1.5 KB``; bytes below a kilobyte as they are."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def attachments_context(uow: UnitOfWork, actor: Actor, customer_id: int) -> dict[str, Any]:
    """The customer page's attachments card (empty when the customer is out of scope)."""
    try:
        found = attachments.list_attachments(uow=uow, customer_id=customer_id, actor=actor)
    except NotFound:
        return {"attachments": [], "can_attach": False, "attach_accept": ACCEPT, "attach_error": ""}
    rows = [
        AttachmentRow(
            attachment=a,
            kind=_KIND_OF_TYPE.get(a.content_type, "file"),
            size=size_text(a.size_bytes),
            can_delete=attachments.may_delete(uow=uow, actor=actor, attachment=a),
        )
        for a in found
    ]
    return {
        "attachments": rows,
        "can_attach": actor.role is not Role.auditor,
        "attach_accept": ACCEPT,
        "attach_error": "",
    }


def refusal_text(t: Translate, error: Exception, *, max_bytes: int) -> str:
    """An upload's problem in the reader's language."""
    if isinstance(error, attachments.FileTooLarge):
        return t("files.error.too_large", limit=size_text(error.limit or max_bytes))
    if isinstance(error, attachments.FileRefused) and error.reason is not None:
        reason = error.reason
        values = dict(reason.values)
        if "kind" in values:
            values["kind"] = t("files.kind." + values["kind"])
        return t("files.refused." + reason.code, **values)
    return t("files.error.invalid")
