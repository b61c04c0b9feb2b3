"""What a file is, told by its content (magic bytes), not by its name.

An upload is accepted only when its bytes are one of the kinds below; the type it is
stored and served with comes from here, so a ``.pdf`` that is really a program or an HTML
page is refused, and nothing is ever served with a type its bytes do not have.

``sniff`` looks at the head of the file; Office files in the zip format (docx, xlsx,
pptx) are told apart by the names of the zip's entries, which the caller reads with
``zipfile`` and passes as ``zip_names`` (the head alone cannot say). Pure: stdlib only.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

HEAD_BYTES = 64 * 1024  # how much of a file sniffing looks at


@dataclass(frozen=True)
class FileKind:
    """An allowed kind: its served type, the name endings it may carry, and whether the
    browser may show it inline (images and PDF)."""

    code: str
    content_type: str
    extensions: tuple[str, ...]
    label: str
    preview: bool = False

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def _kind(code: str, content_type: str, exts: str, label: str, preview: bool = False) -> FileKind:
    return FileKind(code, content_type, tuple(exts.split()), label, preview)


PDF = _kind("pdf", "application/pdf", "pdf", "PDF", preview=True)
PNG = _kind("png", "image/png", "png", "PNG image", preview=True)
JPEG = _kind("jpeg", "image/jpeg", "jpg jpeg jpe", "JPEG image", preview=True)
GIF = _kind("gif", "image/gif", "gif", "GIF image", preview=True)
WEBP = _kind("webp", "image/webp", "webp", "WebP image", preview=True)
DOCX = _kind(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
    "Word document",
)
XLSX = _kind(
    "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel"
)
PPTX = _kind(
    "pptx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptx",
    "PowerPoint",
)
DOC = _kind("doc", "application/msword", "doc", "Word 97-2003 document")
XLS = _kind("xls", "application/vnd.ms-excel", "xls", "Excel 97-2003")
PPT = _kind("ppt", "application/vnd.ms-powerpoint", "ppt", "PowerPoint 97-2003")
ZIP = _kind("zip", "application/zip", "zip", "zip archive")
TEXT = _kind("txt", "text/plain; charset=utf-8", "txt text log md", "text")
CSV = _kind("csv", "text/csv; charset=utf-8", "csv tsv", "CSV")
# GBK/GB18030 text (Chinese Excel saves CSV so): served with its own charset.
TEXT_GB = _kind("txt", "text/plain; charset=gb18030", "txt text log md", "text")
CSV_GB = _kind("csv", "text/csv; charset=gb18030", "csv tsv", "CSV")

ALLOWED: tuple[FileKind, ...] = (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, DOC, XLS, PPT)
ALLOWED += (ZIP, TEXT, CSV)
ALLOWED_SUMMARY = "PDF, PNG/JPEG/GIF/WebP images, Word, Excel, PowerPoint, text, CSV, zip"
_OLE_BY_EXTENSION = {"doc": DOC, "xls": XLS, "ppt": PPT}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Kinds that are refused, named so the error says what the file really is.
_REFUSED_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"MZ", "program", "a Windows program"),
    (b"\x7fELF", "program", "a Linux program"),
    (b"\xcf\xfa\xed\xfe", "program", "a macOS program"),
    (b"\xce\xfa\xed\xfe", "program", "a macOS program"),
    (b"\xca\xfe\xba\xbe", "program", "a macOS or Java program"),
    (b"#!", "script", "a script"),
    (b"Rar!", "archive", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive", "a 7-Zip archive"),
    (b"\x1f\x8b", "archive", "a gzip archive"),
)
_MARKUP = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|script|svg|iframe|object|embed|meta|\?xml)\b",
    re.IGNORECASE,
)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# Controls a text file may hold: tab, line feed, form feed, carriage return (and escape,
# which some exports leave in).
_TEXT_CONTROLS = frozenset(b"\t\n\x0c\r\x1b")


class Refused(ValueError):
    """The content is not an allowed kind: ``code`` names what it is (``windows_program``,
    ``markup``, ``mismatch`` …) for a translated message, the text says it in English."""

    def __init__(self, code: str, text: str, **values: str) -> None:
        super().__init__(text)
        self.code = code
        self.values = values


def extension_of(name: str) -> str:
    """``report.PDF`` → ``pdf``; no dot → empty."""
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def _office_zip(zip_names: Collection[str]) -> FileKind:
    names = set(zip_names)
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    if "ppt/presentation.xml" in names:
        return PPTX
    return ZIP


def _text_kind(head: bytes, extension: str, complete: bool) -> FileKind:
    if _MARKUP.search(head[:4096]):
        raise Refused("markup", "an HTML, SVG or XML document (a browser could run it)")
    body = head
    for bom in _BOMS[1:]:
        if body.startswith(bom):
            raise Refused("encoding", "UTF-16 text: save it as UTF-8")
    if b"\x00" in body:
        raise Refused("binary", "binary data, not text")
    if any(byte < 0x20 and byte not in _TEXT_CONTROLS for byte in body) or b"\x7f" in body:
        raise Refused("binary", "binary data, not text")
    # A head cut inside a multi-byte character: drop up to 3 trailing bytes.
    trimmed = [body] if complete else [body[: len(body) - cut] for cut in range(4)]
    gb = False
    for candidate in trimmed:
        try:
            candidate.decode("utf-8")
            break
        except UnicodeDecodeError:
            try:
                candidate.decode("gb18030")
                gb = True
                break
            except UnicodeDecodeError:
                continue
    else:
        raise Refused("encoding", "text in an unknown encoding (save it as UTF-8)")
    csv = extension in CSV.extensions
    if gb:
        return CSV_GB if csv else TEXT_GB
    return CSV if csv else TEXT


def sniff(
    head: bytes,
    *,
    name: str,
    zip_names: Collection[str] | None = None,
    complete: bool = False,
) -> FileKind:
    """The kind of a file whose first bytes are ``head`` (``complete``: the whole file),
    named ``name``. Raises ``Refused`` when it is none of the allowed kinds, or when the
    name claims another kind than the content (a ``.pdf`` holding a PNG)."""
    extension = extension_of(name)
    if not head:
        raise Refused("empty", "an empty file")
    kind = _magic_kind(head, extension, zip_names)
    if kind is None:
        for magic, code, what in _REFUSED_MAGIC:
            if head.startswith(magic):
                raise Refused(code, what)
        if extension and extension not in TEXT.extensions + CSV.extensions:
            if _MARKUP.search(head[:4096]):
                raise Refused("markup", "an HTML, SVG or XML document (a browser could run it)")
            raise Refused("unknown", "not one of the allowed types")
        kind = _text_kind(head, extension, complete)
    if extension and extension not in kind.extensions:
        raise Refused(
            "mismatch",
            f"named .{extension} but its content is {kind.label}",
            extension=extension,
            kind=kind.code,
        )
    return kind


def _magic_kind(head: bytes, extension: str, zip_names: Collection[str] | None) -> FileKind | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(_OLE):
        ole = _OLE_BY_EXTENSION.get(extension)
        if ole is None:
            raise Refused("ole_name", "an Office 97-2003 file: name it .doc, .xls or .ppt")
        return ole
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if zip_names is None:
            raise Refused("damaged", "a damaged zip file")
        return _office_zip(zip_names)
    return None
