"""Uploaded import files (services/imports/ports.py ``TableFiles``): read as streamed
tables from a temporary file, and error files written back in the upload's own format."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePath

import openpyxl

from fenpei.adapters.files import tabular
from fenpei.adapters.files._csv import open_csv
from fenpei.adapters.files._xlsx import _UNREADABLE, _check_unpacked_size
from fenpei.domain.errors import ValidationFailed
from fenpei.services.customer_import import FORMULA_STARTS
from fenpei.services.imports.ports import FileFacts, OpenedTable

BOM = "\ufeff"


def _guarded(value: str) -> str:
    """A CSV cell a spreadsheet shows as text: one it would run as a formula (``=``, ``+``,
    ``-``, ``@``, tab, CR first) gets a leading ``'``, which the importer drops again."""
    guard = value.lstrip("'").startswith(FORMULA_STARTS)  # '=x is written ''=x
    return "'" + value if guard else value


def _sheet_names(path: Path, name: str) -> tuple[list[str], str | None]:
    """The workbook's sheets, and the active one's name."""
    _check_unpacked_size(path, name=name)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True)
    except _UNREADABLE as exc:
        raise ValidationFailed.one(
            "file", f"{name!r} is not a readable .xlsx workbook ({exc})"
        ) from None
    try:
        active = workbook.active
        return list(workbook.sheetnames), getattr(active, "title", None)
    finally:
        workbook.close()


def _first_table(
    path: Path, name: str, sheet: str | None, sheets: list[str]
) -> tuple[tabular.StreamedTable, str | None]:
    """The chosen sheet's table; with none chosen, the active sheet's — or, if that one
    holds no table (a cover sheet), the first sheet that does."""
    try:
        return tabular.open_table(path, name, sheet=sheet), sheet
    except ValidationFailed:
        if sheet is not None:
            raise
        for other in sheets:
            try:
                return tabular.open_table(path, name, sheet=other), other
            except ValidationFailed:
                continue
        raise


class TabularFiles:
    """``TableFiles`` over adapters/files/tabular.py."""

    @contextmanager
    def open(
        self, name: str, data: bytes, *, sheet: str | None
    ) -> Iterator[tuple[OpenedTable, FileFacts]]:
        suffix = PurePath(name).suffix.lower()
        handle, raw = tempfile.mkstemp(prefix="fenpei-import-", suffix=suffix)
        path = Path(raw)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            if suffix in tabular.XLSX_SUFFIXES:
                sheets, active = _sheet_names(path, name)
                table, read = _first_table(path, name, sheet, sheets)
                facts = FileFacts(None, None, sheets, read or active)
            else:
                table = tabular.open_table(path, name, sheet=sheet)
                checked = open_csv(path, name=name, encoding="auto")
                facts = FileFacts(checked.codec, checked.delimiter, [], None)
            yield table, facts
        finally:
            path.unlink(missing_ok=True)

    def error_file(
        self,
        name: str,
        headers: Sequence[str],
        rows: Iterable[tuple[Mapping[str, str], str]],
        *,
        error_header: str,
        delimiter: str | None,
    ) -> tuple[str, bytes]:
        stem, suffix = PurePath(name).stem, PurePath(name).suffix.lower()
        columns = [*headers, error_header]
        if suffix in tabular.XLSX_SUFFIXES:
            return f"{stem}-errors.xlsx", _xlsx(columns, headers, rows)
        text = io.StringIO(newline="")
        writer = csv.writer(text, delimiter=delimiter or ",", lineterminator="\r\n")
        writer.writerow([_guarded(c) for c in columns])
        for cells, error in rows:
            writer.writerow([_guarded(v) for v in (*(cells.get(h, "") for h in headers), error)])
        kept = suffix if suffix in tabular.CSV_SUFFIXES else ".csv"
        return f"{stem}-errors{kept}", (BOM + text.getvalue()).encode("utf-8")


def _xlsx(
    columns: Sequence[str], headers: Sequence[str], rows: Iterable[tuple[Mapping[str, str], str]]
) -> bytes:
    """Every cell written as text (never a formula: a cell beginning with ``=`` stays the
    text it was)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("errors")
    sheet.append(_text_cells(sheet, columns))
    for cells, error in rows:
        sheet.append(_text_cells(sheet, [*(cells.get(h, "") for h in headers), error]))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _text_cells(sheet: object, values: Sequence[str]) -> list[object]:
    from openpyxl.cell import WriteOnlyCell

    cells: list[object] = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
        cell.data_type = "s"
        cells.append(cell)
    return cells
