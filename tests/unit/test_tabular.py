"""Reading CSV (UTF-8, GBK) and Excel files into a header and numbered rows of text."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from fenpei.adapters.files.tabular import Table, parse_table
from fenpei.domain.errors import ValidationFailed

GBK_TEXT = "姓名,电话,公司\n张三,13800138000,北京星辰科技有限公司\n李四,13900139000,上海明月贸易\n"


def read_table(path: Path, *, encoding: str = "auto", sheet: str | None = None) -> Table:
    return parse_table(path.name, path.read_bytes(), encoding=encoding, sheet=sheet)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def error_of(path: Path, *, encoding: str = "auto", sheet: str | None = None) -> str:
    with pytest.raises(ValidationFailed) as caught:
        read_table(path, encoding=encoding, sheet=sheet)
    return str(caught.value)


def test_utf8_csv_is_read_with_stripped_values_and_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "name, city \n 王芳 ,杭州\nBob,\n".encode())

    table = read_table(path)

    assert table.name == "a.csv"
    assert table.headers == ["name", "city"]
    assert table.rows == [(2, {"name": "王芳", "city": "杭州"}), (3, {"name": "Bob", "city": ""})]


def test_utf8_bom_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", "\ufeff姓名,邮箱\n赵六,zhao@example.com\n".encode())

    table = read_table(path)

    assert table.headers == ["姓名", "邮箱"]
    assert table.rows[0][1]["姓名"] == "赵六"


def test_gbk_csv_with_chinese_names_decodes_under_auto(tmp_path: Path) -> None:
    path = write(tmp_path, "gbk.csv", GBK_TEXT.encode("gbk"))

    table = read_table(path)

    assert table.headers == ["姓名", "电话", "公司"]
    assert [cells["姓名"] for _, cells in table.rows] == ["张三", "李四"]
    assert table.rows[0][1]["公司"] == "北京星辰科技有限公司"


def test_explicit_gbk_is_honoured(tmp_path: Path) -> None:
    path = write(tmp_path, "gbk.csv", GBK_TEXT.encode("gbk"))

    assert read_table(path, encoding="gbk").rows[1][1]["姓名"] == "李四"


def test_forcing_utf8_on_a_gbk_file_names_the_line_and_suggests_encoding(tmp_path: Path) -> None:
    ascii_head = "name,phone\nAlice,13800138000\n"
    path = write(tmp_path, "gbk.csv", ascii_head.encode() + "张三,13900139000\n".encode("gbk"))

    message = error_of(path, encoding="utf-8")

    assert message.startswith("file: ")
    assert "utf-8" in message
    assert f"offset {len(ascii_head)}, line 3" in message
    assert "--encoding" in message


def test_bytes_no_encoding_decodes_list_every_encoding_tried(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", b"name\n\xff\xff\n")

    message = error_of(path)

    assert "utf-8 (byte 0xff at offset 5, line 2)" in message
    assert "gb18030 (byte 0xff at offset 5, line 2)" in message


def test_unknown_encoding_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"name\nx\n")

    assert error_of(path, encoding="klingon").startswith("encoding: 'klingon'")


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    text = delimiter.join(["name", "revenue", "city"]) + "\n"
    text += delimiter.join(['"Müller; GmbH"', "1200,50", "Köln"]) + "\n"
    path = write(tmp_path, "semi.csv", text.encode())

    table = read_table(path)

    assert table.headers == ["name", "revenue", "city"]
    assert table.rows[0][1] == {"name": "Müller; GmbH", "revenue": "1200,50", "city": "Köln"}


def test_quoted_newline_keeps_the_starting_line_number(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b'name,note\n"A","two\nlines"\nB,x\n')

    assert [number for number, _ in read_table(path).rows] == [2, 4]


def test_blank_rows_are_dropped_and_short_rows_padded(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"name,city,level\n\nA\n,,\nB,Xi'an,A,,\n\n\n")

    table = read_table(path)

    assert table.rows == [
        (3, {"name": "A", "city": "", "level": ""}),
        (5, {"name": "B", "city": "Xi'an", "level": "A"}),
    ]


def test_xlsx_reads_dates_as_iso_and_whole_numbers_without_point_zero(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["客户名称", "手机", "员工数", "营收", "创建时间", "签约"])
    sheet.append(["杭州云帆", 13800138000, 120.0, 3500.75, datetime(2026, 3, 1), date(2026, 3, 2)])
    sheet.append([])
    sheet.append(["  西安长安  ", None, 8, None, datetime(2026, 3, 5, 14, 30), None])
    path = tmp_path / "customers.xlsx"
    workbook.save(path)

    table = read_table(path)

    assert table.headers == ["客户名称", "手机", "员工数", "营收", "创建时间", "签约"]
    assert table.rows[0] == (
        2,
        {
            "客户名称": "杭州云帆",
            "手机": "13800138000",
            "员工数": "120",
            "营收": "3500.75",
            "创建时间": "2026-03-01",
            "签约": "2026-03-02",
        },
    )
    assert table.rows[1][0] == 4
    assert table.rows[1][1]["客户名称"] == "西安长安"
    assert table.rows[1][1]["创建时间"] == "2026-03-05T14:30:00"


def test_xlsx_sheet_is_chosen_by_name_and_an_unknown_one_is_listed(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "说明"
    first.append(["read me"])
    leads = workbook.create_sheet("Leads")
    leads.append(["name"])
    leads.append(["From the second sheet"])
    path = tmp_path / "book.xlsx"
    workbook.save(path)

    assert read_table(path, sheet="leads").rows == [(2, {"name": "From the second sheet"})]
    assert (
        error_of(path, sheet="Nope")
        == "sheet: 'book.xlsx' has no sheet 'Nope'; its sheets are: 说明, Leads"
    )


def test_a_workbook_without_styles_reads_without_openpyxl_warnings(tmp_path: Path) -> None:
    # Some exporters write an empty stylesheet; openpyxl warns that it falls back to its
    # own styles, which pytest's filterwarnings=error would turn into a failure.
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["name"])
    sheet.append(["无样式"])
    styled, bare = tmp_path / "styled.xlsx", tmp_path / "bare.xlsx"
    workbook.save(styled)
    empty_styles = (
        b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    )
    with zipfile.ZipFile(styled) as source, zipfile.ZipFile(bare, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, empty_styles if item.filename == "xl/styles.xml" else data)
    with pytest.warns(UserWarning, match="no stylesheet"):
        openpyxl.load_workbook(bare, read_only=True).close()

    assert read_table(bare).rows == [(2, {"name": "无样式"})]


def test_a_csv_renamed_to_xlsx_is_reported_not_crashed_on(tmp_path: Path) -> None:
    path = write(tmp_path, "fake.xlsx", b"name\nA\n")

    assert "is not a readable .xlsx workbook" in error_of(path)


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n , ,\n\n"])
def test_empty_file_is_rejected(tmp_path: Path, data: bytes) -> None:
    assert "is empty" in error_of(write(tmp_path, "empty.csv", data))


def test_duplicate_headers_name_the_line_and_both_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.csv", b"\nname,phone,name\nA,1,B\n")

    assert error_of(path) == "file: line 2: column 3 repeats the header 'name' of column 1"


def test_a_header_cell_without_a_name_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"name,,city\nA,x,B\n")

    assert "line 1: column 2 of the header has no name" in error_of(path)


def test_rows_with_more_cells_than_headers_are_all_named(tmp_path: Path) -> None:
    path = write(tmp_path, "ragged.csv", b"name,city\nA,B\nC,D,E\nF,G\nH,I,J,K\n")

    with pytest.raises(ValidationFailed) as caught:
        read_table(path)

    messages = [str(e) for e in caught.value.errors]
    assert messages == [
        "file: line 3 has 3 cells but the header names only 2 columns; "
        "quote values that contain the delimiter",
        "file: line 5 has 4 cells but the header names only 2 columns; "
        "quote values that contain the delimiter",
    ]


def test_unknown_extension_names_the_file_field(tmp_path: Path) -> None:
    assert error_of(write(tmp_path, "a.json", b"{}")).startswith(
        "file: 'a.json': cannot read .json"
    )
    assert "save old .xls workbooks as .xlsx" in error_of(write(tmp_path, "old.xls", b"x"))


def test_sheet_is_refused_for_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"name\nA\n")

    assert error_of(path, sheet="Sheet1").startswith("sheet: ")


def test_a_header_without_rows_is_refused_as_a_file_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "header.csv", b"name,phone\n\n , \n")

    assert error_of(path) == "file: 'header.csv' has a header but no rows under it"


def test_a_column_name_no_database_can_store_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "nul.csv", b"name,ci\x00ty\nA,B\n")

    assert error_of(path) == "file: line 1: the name of column 2 must not contain NUL characters"


def test_a_workbook_that_unpacks_past_the_bound_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["name"])
    sheet.append(["A" * 5000])
    path = tmp_path / "big.xlsx"
    workbook.save(path)
    monkeypatch.setattr("fenpei.adapters.files._xlsx.MAX_UNPACKED_BYTES", 4000)

    assert "unpacks to" in error_of(path)
    assert "at most 4,000 unpacked bytes" in error_of(path)
