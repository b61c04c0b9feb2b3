"""Excel workbooks (.xlsx): one sheet's cell values as the text a person typed or saw."""

from __future__ import annotations

import io
import os
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import IO

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from fenpei.domain.errors import ValidationFailed

# What a damaged or mislabelled workbook raises while it is opened or read (SyntaxError
# covers the XML parser's ParseError).
_UNREADABLE = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, SyntaxError)
# A workbook is a zip archive: a small file can unpack to gigabytes. Its parts are never
# read past their declared sizes, so bounding the declared total bounds the work.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024


def _check_unpacked_size(source: str | os.PathLike[str] | IO[bytes], *, name: str) -> None:
    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ValidationFailed.one(
            "file", f"{name!r} is not a readable .xlsx workbook ({exc})"
        ) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValidationFailed.one(
            "file",
            f"{name!r} unpacks to {unpacked:,} bytes; fenpei reads workbooks of at most "
            f"{MAX_UNPACKED_BYTES:,} unpacked bytes (split it, or save it as CSV)",
        )


def xlsx_rows(data: bytes, *, name: str, sheet: str | None) -> list[tuple[int, list[str]]]:
    """Every row of the sheet (the active one by default) of the workbook in ``data`` (the
    file ``name``), numbered as Excel numbers them."""
    return list(xlsx_stream(io.BytesIO(data), name=name, sheet=sheet))


def xlsx_stream(
    source: str | os.PathLike[str] | IO[bytes], *, name: str, sheet: str | None
) -> Iterator[tuple[int, list[str]]]:
    """The rows of the sheet of the workbook ``source`` (a path or a binary file), one at
    a time: openpyxl's read-only mode reads the sheet's XML as it goes, so memory does not
    grow with the number of rows."""
    _check_unpacked_size(source, name=name)
    with warnings.catch_warnings():
        # openpyxl warns about parts of a workbook it drops on reading (styles, drawings,
        # data-validation extensions); none of them changes a cell's value.
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")
        try:
            workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
        except _UNREADABLE as exc:
            raise ValidationFailed.one(
                "file", f"{name!r} is not a readable .xlsx workbook ({exc})"
            ) from None
        try:
            worksheet = _worksheet(workbook, sheet, name=name)
            # Some writers record a wrong sheet size; forget it and read every cell.
            worksheet.reset_dimensions()
            # ``values`` starts at row 1 and yields an empty row for each missing one, so
            # counting from 1 gives Excel's row numbers.
            for number, row in enumerate(worksheet.values, 1):
                yield number, [cell_text(v) for v in row]
        except _UNREADABLE as exc:
            raise ValidationFailed.one(
                "file", f"{name!r}: a sheet of the workbook cannot be read ({exc})"
            ) from None
        finally:
            workbook.close()


def _worksheet(workbook: openpyxl.Workbook, sheet: str | None, *, name: str) -> ReadOnlyWorksheet:
    names = workbook.sheetnames
    if sheet is None:
        chosen = workbook.active
    else:
        match = next((n for n in names if n == sheet), None) or next(
            (n for n in names if n.casefold() == sheet.strip().casefold()), None
        )
        if match is None:
            raise ValidationFailed.one(
                "sheet", f"{name!r} has no sheet {sheet!r}; its sheets are: {', '.join(names)}"
            )
        chosen = workbook[match]
    if not isinstance(chosen, ReadOnlyWorksheet):
        raise ValidationFailed.one(
            "sheet", f"{name!r}: choose a sheet with cells (one of: {', '.join(names)})"
        )
    return chosen


def cell_text(value: object) -> str:
    """A cell as text: dates in ISO form, whole numbers without a trailing ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time() and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        # Excel keeps every number as a double: 13800138000 arrives as 13800138000.0.
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()
