"""Sending a stored file back: headers that keep a browser from running what it holds.

Every file is sent with ``X-Content-Type-Options: nosniff``, the type sniffed at upload,
and a ``Content-Disposition`` carrying the name both as ASCII and as RFC 5987 UTF-8
(``filename*=UTF-8''%E5%90%88%E5%90%8C.pdf``) for Chinese names. Only images and PDFs are
ever sent inline (for previews); everything else is an attachment (saved, not opened).
Each answer has a Content-Security-Policy of its own: a sandbox with nothing allowed for
downloads and images, and for PDFs (Chromium refuses its PDF viewer inside a sandbox) a
policy allowing only the viewer itself, framed by fenpei's own pages.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from fenpei.domain.attachments import Attachment
from fenpei.services.files.attachments import Download

_DOWNLOAD_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'"
_IMAGE_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'"
)
_PDF_POLICY = (
    "default-src 'none'; object-src 'self'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'"
)


def ascii_fallback(name: str) -> str:
    """The name with non-ASCII letters decomposed or replaced by ``_`` (for old clients)."""
    decomposed = unicodedata.normalize("NFKD", name)
    kept = "".join(
        c if 32 <= ord(c) < 127 and c not in '"\\%;' else "_"
        for c in decomposed
        if not unicodedata.combining(c)
    )
    return kept or "file"


def content_disposition(name: str, *, inline: bool) -> str:
    """``attachment; filename="__.pdf"; filename*=UTF-8''%E5%90%88%E5%90%8C.pdf``."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def previewable(attachment: Attachment) -> bool:
    return attachment.is_image or attachment.is_pdf


def file_headers(attachment: Attachment, *, inline: bool) -> dict[str, str]:
    """The headers for sending ``attachment`` (inline only if it is an image or a PDF)."""
    inline = inline and previewable(attachment)
    if inline and attachment.is_pdf:
        policy, frames = _PDF_POLICY, "SAMEORIGIN"
    elif inline:
        policy, frames = _IMAGE_POLICY, "SAMEORIGIN"
    else:
        policy, frames = _DOWNLOAD_POLICY, "DENY"
    return {
        "Content-Disposition": content_disposition(attachment.file_name, inline=inline),
        "Content-Length": str(attachment.size_bytes),
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": frames,
        "Cache-Control": "private, no-store",
        "Cross-Origin-Resource-Policy": "same-origin",
    }


def file_response(download: Download, *, inline: bool) -> StreamingResponse:
    """An attachment's bytes as the answer (pages and API), with ``file_headers``. The
    source is closed after the answer, read to the end or left by the client (Starlette
    stops iterating a stream without closing it; ``Chunks`` also closes when dropped)."""
    found = download.attachment
    headers = file_headers(found, inline=inline)
    chunks = download.chunks
    close = getattr(chunks, "close", None)
    after = BackgroundTask(close) if close is not None else None
    return StreamingResponse(
        chunks, media_type=found.content_type, headers=headers, background=after
    )
