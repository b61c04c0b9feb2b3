"""CSV files: decoding (UTF-8, GBK / GB18030 as Chinese Excel writes them) and delimiters."""

from __future__ import annotations

import codecs
import csv
import io

from fenpei.domain.errors import ValidationFailed

# GB18030 is a superset of GBK and GB2312, so one attempt covers all three.
AUTO_ENCODINGS = ("utf-8", "gb18030")
DELIMITERS = (",", ";", "\t")
_ZIP_MAGIC = b"PK\x03\x04"


def csv_rows(data: bytes, *, name: str, encoding: str) -> list[tuple[int, list[str]]]:
    """The cells of every CSV record in ``data`` (the file ``name``), numbered by the line
    the record starts on."""
    if data.startswith(_ZIP_MAGIC):
        raise ValidationFailed.one(
            "file", f"{name!r} looks like an Excel workbook, not CSV; name it .xlsx"
        )
    text = decode(data, encoding=encoding, name=name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ValidationFailed.one("file", f"line {line}: {exc}") from None
    return records


def decode(data: bytes, *, encoding: str, name: str) -> str:
    """The file's text; ``auto`` tries UTF-8 (with or without BOM), then GB18030."""
    wanted = encoding.strip().lower()
    codecs_to_try = AUTO_ENCODINGS if wanted == "auto" else (_codec_name(encoding),)
    failures: list[str] = []
    for codec in codecs_to_try:
        skip = len(codecs.BOM_UTF8) if codec == "utf-8" and data.startswith(codecs.BOM_UTF8) else 0
        try:
            return data[skip:].decode(codec)
        except UnicodeDecodeError as exc:
            offset = skip + exc.start
            line = data.count(b"\n", 0, offset) + 1
            failures.append(f"{codec} (byte 0x{data[offset]:02x} at offset {offset}, line {line})")
    tried = " or ".join(failures)
    if wanted == "auto":
        hint = "pass the file's encoding with --encoding, or save the file as UTF-8"
    else:
        hint = "pass the file's real encoding with --encoding (auto tries utf-8, then gb18030)"
    raise ValidationFailed.one("file", f"{name!r} could not be decoded as {tried}; {hint}")


def _codec_name(encoding: str) -> str:
    try:
        info = codecs.lookup(encoding.strip())
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise ValidationFailed.one(
            "encoding", f"{encoding!r} is not a text encoding (use auto, utf-8, gbk or gb18030)"
        )
    # utf-8-sig and utf-8 read the same here: a leading BOM is always skipped.
    return "utf-8" if info.name == "utf-8-sig" else info.name


def sniff_delimiter(text: str) -> str:
    """The delimiter used most often (outside quotes) in the header line; comma on a tie."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=counts.__getitem__)
    return best if counts[best] else ","
