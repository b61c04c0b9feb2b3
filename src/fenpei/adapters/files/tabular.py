"""A spreadsheet-shaped file (CSV or .xlsx) read into a header and rows of text.

Pure: it is given the file's name and bytes (the command line reads them, bounded, through
``cli/_files.py``). Row numbers are the ones a person sees: the CSV line or the Excel row,
with the header on its own line, so an error about "row 7" points at the line an editor or
Excel shows as 7.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from fenpei.adapters.files._csv import csv_rows, open_csv
from fenpei.adapters.files._xlsx import xlsx_rows, xlsx_stream
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.limits import text_problem

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_MAX_FILE_ERRORS = 20


@dataclass(frozen=True)
class Table:
    """A header and the non-blank rows under it, each with its source row number."""

    name: str
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]

    @property
    def count(self) -> int:
        return len(self.rows)


def parse_table(
    name: str, data: bytes, *, encoding: str = "auto", sheet: str | None = None
) -> Table:
    """A CSV (utf-8 / gbk / gb18030, sniffed delimiter) or .xlsx file's ``data`` as a Table;
    its ``name`` (the kind is told by the extension) is used in errors."""
    suffix = _check_suffix(name)
    if suffix in XLSX_SUFFIXES:
        return build_table(name, xlsx_rows(data, name=name, sheet=sheet), unit="row")
    if sheet is not None:
        raise ValidationFailed.one("sheet", "only Excel workbooks have sheets; leave it out")
    return build_table(name, csv_rows(data, name=name, encoding=encoding), unit="line")


def _check_suffix(name: str) -> str:
    suffix = PurePath(name).suffix.lower()
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES:
        known = ", ".join(CSV_SUFFIXES + XLSX_SUFFIXES)
        hint = " (save old .xls workbooks as .xlsx)" if suffix == ".xls" else ""
        raise ValidationFailed.one(
            "file",
            f"{name!r}: cannot read {suffix or 'files without an extension'}; "
            f"use one of {known}{hint}",
        )
    return suffix


def build_table(
    name: str, numbered_rows: Iterable[tuple[int, Sequence[str]]], *, unit: str
) -> Table:
    """Take the first non-blank row as the header; check it and every row against it.

    Blank rows are skipped; short rows are padded; a row with more non-empty cells than
    the header has columns is an error, as are empty, repeated or unstorable column names
    and a header with no rows under it. (Cells are checked by whoever stores them.)
    """
    rows = iter(numbered_rows)
    header_at, header = _first_non_blank(rows)
    if header_at == 0:
        raise ValidationFailed.one("file", f"{name!r} is empty: no header {unit} and no rows")
    headers = _check_headers(header, at=f"{unit} {header_at}")
    errors: list[FieldError] = []
    body = list(_body(rows, headers, unit=unit, errors=errors))
    if errors:
        raise ValidationFailed(errors)
    if not body:
        raise ValidationFailed.one("file", f"{name!r} has a header but no rows under it")
    return Table(name=name, headers=headers, rows=body)


def _body(
    rows: Iterator[tuple[int, Sequence[str]]],
    headers: list[str],
    *,
    unit: str,
    errors: list[FieldError] | None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """The non-blank rows under the header as header → cell; a row with more non-empty
    cells than the header has columns is skipped and, with ``errors``, reported there."""
    for number, cells in rows:
        values = [cell.strip() for cell in cells]
        used = _used_width(values)
        if used == 0:
            continue
        if used > len(headers):
            if errors is not None and len(errors) < _MAX_FILE_ERRORS:
                errors.append(
                    FieldError(
                        "file",
                        f"{unit} {number} has {used} cells but the header names only "
                        f"{len(headers)} columns; quote values that contain the delimiter",
                    )
                )
            continue
        values += [""] * (len(headers) - len(values))
        yield number, dict(zip(headers, values, strict=False))


@dataclass(frozen=True)
class StreamedTable:
    """A file checked like ``build_table`` checks one, whose rows are read again from the
    file on each use of ``rows``: memory stays flat whatever the file's size. ``count``
    is the number of data rows, ``sha256`` the hash of the file's bytes."""

    name: str
    headers: list[str]
    count: int
    sha256: str
    unit: str
    _records: Callable[[], Iterator[tuple[int, Sequence[str]]]]

    @property
    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        records = self._records()
        _first_non_blank(records)
        return _body(records, self.headers, unit=self.unit, errors=None)


def open_table(
    path: Path, name: str, *, encoding: str = "auto", sheet: str | None = None
) -> StreamedTable:
    """``parse_table`` for a file on disk, streamed: the file is read once to hash and
    check it (decoding, header, row widths — the same errors as ``parse_table``) and
    again, row by row, each time its rows are used."""
    suffix = _check_suffix(name)
    if suffix in XLSX_SUFFIXES:
        unit = "row"
        digest = hashlib.sha256()
        with open(path, "rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        sha256 = digest.hexdigest()

        def records() -> Iterator[tuple[int, Sequence[str]]]:
            return xlsx_stream(path, name=name, sheet=sheet)

    else:
        if sheet is not None:
            raise ValidationFailed.one("sheet", "only Excel workbooks have sheets; leave it out")
        unit = "line"
        checked = open_csv(path, name=name, encoding=encoding)
        sha256 = checked.sha256
        records = checked.records
    rows = records()
    header_at, header = _first_non_blank(rows)
    if header_at == 0:
        raise ValidationFailed.one("file", f"{name!r} is empty: no header {unit} and no rows")
    headers = _check_headers(header, at=f"{unit} {header_at}")
    errors: list[FieldError] = []
    count = sum(1 for _ in _body(rows, headers, unit=unit, errors=errors))
    if errors:
        raise ValidationFailed(errors)
    if not count:
        raise ValidationFailed.one("file", f"{name!r} has a header but no rows under it")
    return StreamedTable(name, headers, count, sha256, unit, records)


def _first_non_blank(rows: Iterable[tuple[int, Sequence[str]]]) -> tuple[int, list[str]]:
    for number, cells in rows:
        values = [cell.strip() for cell in cells]
        if _used_width(values):
            return number, values
    return 0, []


def _used_width(values: Sequence[str]) -> int:
    """How many cells count: up to and including the last non-empty one."""
    for index in range(len(values) - 1, -1, -1):
        if values[index]:
            return index + 1
    return 0


def _check_headers(values: list[str], *, at: str) -> list[str]:
    headers = values[: _used_width(values)]
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for column, header in enumerate(headers, start=1):
        if not header:
            errors.append(FieldError("file", f"{at}: column {column} of the header has no name"))
        elif problem := text_problem(header):
            errors.append(FieldError("file", f"{at}: the name of column {column} {problem}"))
        elif header in seen:
            errors.append(
                FieldError(
                    "file",
                    f"{at}: column {column} repeats the header {header!r} of column {seen[header]}",
                )
            )
        else:
            seen[header] = column
    if errors:
        raise ValidationFailed(errors)
    return headers
