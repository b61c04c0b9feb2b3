"""CSV files: decoding (UTF-8, GBK / GB18030 as Chinese Excel writes them) and delimiters."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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


_CHUNK = 1 << 20


@dataclass(frozen=True)
class CsvFile:
    """A CSV file checked to decode, streamed again on each ``records()``: its memory does
    not grow with its size."""

    path: Path
    name: str
    codec: str
    delimiter: str
    sha256: str

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """The cells of every record, numbered by the line the record starts on."""
        codec = "utf-8-sig" if self.codec == "utf-8" else self.codec
        with open(self.path, encoding=codec, newline="") as stream:
            reader = csv.reader(stream, delimiter=self.delimiter)
            line = 1
            try:
                for cells in reader:
                    yield line, cells
                    line = reader.line_num + 1
            except csv.Error as exc:
                raise ValidationFailed.one("file", f"line {line}: {exc}") from None


def open_csv(path: Path, *, name: str, encoding: str) -> CsvFile:
    """Check that the file at ``path`` decodes (as ``decode`` would, chunk by chunk) and
    hash it; the rows are read later, streamed (``CsvFile.records``)."""
    with open(path, "rb") as stream:
        if stream.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC:
            raise ValidationFailed.one(
                "file", f"{name!r} looks like an Excel workbook, not CSV; name it .xlsx"
            )
    wanted = encoding.strip().lower()
    codecs_to_try = AUTO_ENCODINGS if wanted == "auto" else (_codec_name(encoding),)
    failures: list[str] = []
    digest = ""
    for codec in codecs_to_try:
        failure, sha = _check_decodes(path, codec)
        digest = digest or sha
        if failure is None:
            return CsvFile(path, name, codec, _sniff_file(path, codec), digest or _sha(path))
        failures.append(failure)
    tried = " or ".join(failures)
    if wanted == "auto":
        hint = "pass the file's encoding with --encoding, or save the file as UTF-8"
    else:
        hint = "pass the file's real encoding with --encoding (auto tries utf-8, then gb18030)"
    raise ValidationFailed.one("file", f"{name!r} could not be decoded as {tried}; {hint}")


def _sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_decodes(path: Path, codec: str) -> tuple[str | None, str]:
    """(None, sha256) if the whole file decodes as ``codec``; else (what failed, "")."""
    decoder = codecs.getincrementaldecoder(codec)()
    digest = hashlib.sha256()
    fed = lines = 0
    with open(path, "rb") as stream:
        first = True
        while True:
            chunk = stream.read(_CHUNK)
            digest.update(chunk)
            if first and codec == "utf-8" and chunk.startswith(codecs.BOM_UTF8):
                chunk, fed = chunk[len(codecs.BOM_UTF8) :], len(codecs.BOM_UTF8)
            first = False
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                offset = fed - pending + exc.start
                line = lines + bytes(exc.object[: exc.start]).count(b"\n") + 1
                return (
                    f"{codec} (byte 0x{exc.object[exc.start]:02x} at offset {offset}, line {line})",
                    "",
                )
            if not chunk:
                return None, digest.hexdigest()
            fed += len(chunk)
            lines += chunk.count(b"\n")


def _sniff_file(path: Path, codec: str) -> str:
    with open(path, encoding="utf-8-sig" if codec == "utf-8" else codec, newline="") as stream:
        for line in stream:
            if line.strip():
                return sniff_delimiter(line)
    return ","
