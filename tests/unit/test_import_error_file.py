"""The error file: the bad rows with the file's own columns and an error column, in the
uploaded format — CSV as UTF-8 with BOM (Excel opens Chinese) with the file's delimiter,
or a workbook whose cells are all text (a cell beginning with = is not a formula)."""

from __future__ import annotations

import csv
import io

import openpyxl

from fenpei.adapters.files.uploads import TabularFiles
from fenpei.services.customer_import import unguarded

HEADERS = ["公司名称", "手机"]
ROWS = [
    ({"公司名称": "华东科技", "手机": "12ab"}, "row 2.phone: bad"),
    ({"公司名称": '=HYPERLINK("x")', "手机": ""}, "row 5.name: required"),
]


def test_a_csv_error_file_is_utf8_with_bom_and_keeps_the_delimiter() -> None:
    name, data = TabularFiles().error_file(
        "线索.tsv", HEADERS, ROWS, error_header="错误 / error", delimiter="\t"
    )
    assert name == "线索-errors.tsv"
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter="\t"))
    assert rows == [
        ["公司名称", "手机", "错误 / error"],
        ["华东科技", "12ab", "row 2.phone: bad"],
        # a spreadsheet would run it: made text, and the importer drops the ' again
        ['\'=HYPERLINK("x")', "", "row 5.name: required"],
    ]
    assert unguarded(rows[2][0]) == '=HYPERLINK("x")'


def test_every_formula_start_is_guarded_and_read_back() -> None:
    values = ["=1+1", "+86 138 0013 8000", "-5", "@SUM(A1)", "\tx", "\rx", "'=x", "ok"]
    _, data = TabularFiles().error_file(
        "a.csv", ["v"], [({"v": v}, "e") for v in values], error_header="e", delimiter=","
    )
    cells = [r[0] for r in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))][1:]
    assert cells == [
        "'=1+1",
        "'+86 138 0013 8000",
        "'-5",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "''=x",
        "ok",
    ]
    assert [unguarded(c) for c in cells] == values


def test_an_xlsx_error_file_holds_text_cells_never_formulas() -> None:
    name, data = TabularFiles().error_file(
        "leads.xlsx", HEADERS, ROWS, error_header="error", delimiter=None
    )
    assert name == "leads-errors.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["公司名称", "手机", "error"]
    assert values[2][0] == '=HYPERLINK("x")'
    assert sheet.cell(row=3, column=1).data_type == "s"


def test_an_error_file_of_no_rows_has_only_the_header() -> None:
    _, data = TabularFiles().error_file("a.csv", HEADERS, [], error_header="e", delimiter=",")
    assert data.decode("utf-8-sig").splitlines() == ["公司名称,手机,e"]
