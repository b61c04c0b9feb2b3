"""The error file: the bad rows with the file's own columns and an error column, in the
uploaded format — CSV as UTF-8 with BOM (Excel opens Chinese) with the file's delimiter,
or a workbook whose cells are all text (a cell beginning with = is not a formula)."""

from __future__ import annotations

import csv
import io

import openpyxl

from fenpei.adapters.files.uploads import TabularFiles

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
        ['=HYPERLINK("x")', "", "row 5.name: required"],
    ]


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
