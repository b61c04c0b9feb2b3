"""The Excel writer: text by type (never a formula), numbers as numbers, empty cells empty,
rows past a sheet's limit on a next sheet, the temporary file gone once sent."""

from __future__ import annotations

import io
import tempfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from fenpei.adapters.exports import xlsx_file
from fenpei.adapters.exports.xlsx_file import xlsx_chunks


def _workbook(chunks: list[bytes]) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(b"".join(chunks)))


def test_cells_keep_their_types_and_formulas_stay_text() -> None:
    rows = [["=1+1", 3, Decimal("2.50"), None, -4.5, "http://example.com", "@SUM(A1)"]]

    book = _workbook(list(xlsx_chunks("客户", ["a", "=b", "c", "d", "e", "f", "g"], [rows])))

    sheet = book["客户"]
    header, row = list(sheet.iter_rows())
    assert [c.value for c in header] == ["a", "'=b", "c", "d", "e", "f", "g"]
    assert [c.value for c in row] == ["'=1+1", 3, 2.5, None, -4.5, "http://example.com",
                                      "'@SUM(A1)"]  # fmt: skip
    assert [c.data_type for c in row] == ["s", "n", "n", "n", "n", "s", "s"]
    assert row[5].hyperlink is None  # text, not a link


def test_rows_past_a_sheets_limit_continue_on_the_next_sheet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(xlsx_file, "MAX_ROWS", 3)  # a header and two rows a sheet

    book = _workbook(list(xlsx_chunks("Tasks", ["n"], [[[1], [2], [3]], [[4], [5]]])))

    assert book.sheetnames == ["Tasks", "Tasks (2)", "Tasks (3)"]
    values = [[c.value for c in row] for sheet in book.worksheets for row in sheet.iter_rows()]
    assert values == [["n"], [1], [2], ["n"], [3], [4], ["n"], [5]]


def test_the_temporary_workbook_is_removed_when_sent_or_abandoned() -> None:
    before = set(Path(tempfile.gettempdir()).glob("fenpei-export-*"))

    list(xlsx_chunks("x", ["n"], [[[1]]]))
    abandoned = xlsx_chunks("x", ["n"], [[[n] for n in range(50_000)]])
    next(abandoned)
    abandoned.close()

    assert set(Path(tempfile.gettempdir()).glob("fenpei-export-*")) == before
