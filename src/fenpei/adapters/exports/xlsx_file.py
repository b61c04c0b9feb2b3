"""Excel (.xlsx) out with XlsxWriter's constant-memory mode.

In that mode XlsxWriter writes each row to a temporary file as soon as the next row
starts, so memory holds one row, whatever the number of rows. An .xlsx is a zip whose
directory comes last, so it cannot be sent before it is finished: the workbook is written
to a temporary file, then sent in chunks, and the file is removed (disk, not memory, grows
with the rows). Every cell is written by type — text always with ``write_string`` (never
``write``, which would turn ``=…`` into a formula and ``http…`` into a link) — after
``safe_cell`` quoted text that would start a formula, so the workbook runs nothing even
when it is saved again as CSV.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from fenpei.adapters.exports.cells import safe_cell

CHUNK = 64 * 1024
MAX_ROWS = 1_048_576  # one sheet's rows in Excel, the header included
SHEET_NAME_MAX = 31


def write_xlsx(
    path: Path,
    sheet: str,
    headers: Sequence[str],
    batches: Iterable[Sequence[Sequence[object]]],
) -> int:
    """Write the workbook to ``path``; the number of data rows written. Rows beyond one
    sheet's limit continue on a second sheet (``name (2)``), and so on."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": str(path.parent)})
    bold = workbook.add_format({"bold": True})
    try:
        sheets = 1
        worksheet = _new_sheet(workbook, sheet, headers, bold)
        row_index = 0
        written = 0
        for batch in batches:
            for row in batch:
                row_index += 1
                if row_index >= MAX_ROWS:
                    sheets += 1
                    worksheet = _new_sheet(workbook, f"{sheet} ({sheets})", headers, bold)
                    row_index = 1
                for column, value in enumerate(row):
                    cell = safe_cell(value)
                    if cell is None:
                        continue
                    if isinstance(cell, str):
                        worksheet.write_string(row_index, column, cell)
                    else:
                        number = float(cell) if isinstance(cell, Decimal) else cell
                        worksheet.write_number(row_index, column, number)
                written += 1
    finally:
        workbook.close()
    return written


def _new_sheet(workbook: Any, name: str, headers: Sequence[str], bold: Any) -> Any:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in name)[:SHEET_NAME_MAX]
    worksheet = workbook.add_worksheet(cleaned or "Sheet")
    for column, header in enumerate(headers):
        worksheet.write_string(0, column, str(safe_cell(header) or ""), bold)
    worksheet.freeze_panes(1, 0)
    return worksheet


def xlsx_chunks(
    sheet: str, headers: Sequence[str], batches: Iterable[Sequence[Sequence[object]]]
) -> Iterator[bytes]:
    """The workbook's bytes: written to a temporary directory first, then read back in
    chunks; the directory is removed when the last chunk was read (or the reader stops)."""
    with tempfile.TemporaryDirectory(prefix="fenpei-export-") as folder:
        path = Path(folder) / "export.xlsx"
        write_xlsx(path, sheet, headers, batches)
        with path.open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
