"""Attachments (资料): files kept with a customer, later with its tasks and follow-ups.

An attachment row names a file in the file store (``storage_key``, opaque and never built
from the user's file name) and says what it is: its sanitised name, its content type as
sniffed from its bytes (domain/file_types.py), its size and SHA-256, who uploaded it and
when. Deleting one is soft (``deleted_at``); the bytes stay until a purge, so the audit
log's "who deleted what" can still be answered.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

MAX_NAME_CHARS = 200
FALLBACK_NAME = "file"
# Characters no file system or header should see in a name: path separators, the
# Windows-reserved ones, and quotes that would end a header value early.
_UNSAFE = re.compile(r'[/\\<>:"|?*\x00-\x1f\x7f]')
_SPACES = re.compile(r"\s+")
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)


@dataclass(eq=False)
class Attachment:
    """One stored file of a customer; ``task_id`` / ``follow_up_id`` narrow it to one of
    the customer's tasks or follow-ups (None: the customer's own file)."""

    customer_id: int
    storage_key: str
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: int | None  # the user's id (None: a system job or a token without one)
    uploader_name: str
    uploaded_at: datetime
    task_id: int | None = None
    follow_up_id: int | None = None
    deleted_at: datetime | None = None
    deleted_by: str | None = None
    id: int | None = None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


def _format_char(char: str) -> bool:
    """Invisible characters (bidi overrides that disguise ``exe.pdf`` as ``fdp.exe``,
    zero-width joiners) and unassigned or private-use ones."""
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn")


def sanitize_file_name(name: str, *, fallback: str = FALLBACK_NAME) -> str:
    """A name safe to store, show and send back: the last path part only, no control or
    invisible characters, no characters file systems refuse, trimmed, at most
    ``MAX_NAME_CHARS`` characters with the extension kept. Chinese and other letters stay."""
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if _format_char(c) else c for c in name)
    name = _UNSAFE.sub("_", name)
    name = _SPACES.sub(" ", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.split(".")[0].strip().lower() in _WINDOWS_RESERVED:
        stem = "_" + stem
    ext = ext[:20]
    room = MAX_NAME_CHARS - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip(" .")
    if not stem:
        stem = fallback
    return f"{stem}.{ext}" if ext else stem


def with_extension(name: str, extension: str) -> str:
    """``name`` ending in ``.extension``, added when the name has no extension at all."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem and ext:
        return name
    room = MAX_NAME_CHARS - len(extension) - 1
    return f"{name[:room]}.{extension}"
