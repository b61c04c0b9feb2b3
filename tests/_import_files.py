"""Files to import, made in the test: GBK CSVs with Chinese headers (as Chinese Excel saves
them), their good and bad rows known in advance, and hostile files of every kind.

``gbk_leads(good=…, bad=…)`` is the fixture the browser flows use: the headers 公司名称,
联系人, 手机, 邮箱, 行业, 备注 — 联系人 has no alias (the importer maps it to the name by
hand) and 备注 fills nothing (ignored). Bad rows carry a phone no one can dial
(``row N.phone``); every other cell is valid, so the bad rows are exactly those.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import openpyxl

GBK_HEADERS = ["公司名称", "联系人", "手机", "邮箱", "行业", "备注"]
MAPPING = {
    "公司名称": "company_name",
    "联系人": "name",
    "手机": "phone",
    "邮箱": "email",
    "行业": "industry",
    "备注": None,
}
BAD_PHONE = "12ab"
INDUSTRIES = ("制造业", "零售", "教育", "金融")


@dataclass(frozen=True)
class ImportFile:
    """A file's name and bytes, and what its rows are: the names of the good rows and the
    file line numbers (header = line 1) of the bad ones."""

    name: str
    data: bytes
    good_names: list[str] = field(default_factory=list)
    bad_lines: list[int] = field(default_factory=list)
    bad_names: list[str] = field(default_factory=list)


def lead_rows(good: int, bad: int, *, every: int = 3) -> tuple[list[list[str]], list[int]]:
    """``good + bad`` rows under ``GBK_HEADERS``; every ``every``-th is bad until ``bad``
    are made; and the 0-based indexes of the bad rows."""
    rows: list[list[str]] = []
    bad_at: list[int] = []
    for index in range(good + bad):
        is_bad = len(bad_at) < bad and (index % every == every - 1 or good + len(bad_at) <= index)
        company = f"华东{index:04d}科技有限公司"
        phone = BAD_PHONE if is_bad else f"138{index:08d}"
        rows.append(
            [
                company,
                f"联系人{index:04d}",
                phone,
                f"lead{index}@example.cn",
                INDUSTRIES[index % len(INDUSTRIES)],
                "展会名单" if index % 2 else "",
            ]
        )
        if is_bad:
            bad_at.append(index)
    return rows, bad_at


def gbk_leads(good: int = 8, bad: int = 3, *, name: str = "展会线索.csv") -> ImportFile:
    """A GBK-encoded CSV with Chinese headers: ``good`` valid rows and ``bad`` rows with a
    bad phone (lines ``bad_lines``)."""
    rows, bad_at = lead_rows(good, bad)
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(GBK_HEADERS)
    writer.writerows(rows)
    return ImportFile(
        name=name,
        data=text.getvalue().encode("gbk"),
        good_names=[r[1] for i, r in enumerate(rows) if i not in bad_at],
        bad_lines=[i + 2 for i in bad_at],
        bad_names=[rows[i][1] for i in bad_at],
    )


def xlsx_leads(good: int = 4, bad: int = 1, *, name: str = "leads.xlsx") -> ImportFile:
    """The same rows in a workbook with two sheets (the leads on the second, 线索)."""
    rows, bad_at = lead_rows(good, bad)
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "说明"
    first.append(["见第二页"])
    sheet = workbook.create_sheet("线索")
    sheet.append(GBK_HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return ImportFile(
        name=name,
        data=out.getvalue(),
        good_names=[r[1] for i, r in enumerate(rows) if i not in bad_at],
        bad_lines=[i + 2 for i in bad_at],
        bad_names=[rows[i][1] for i in bad_at],
    )


def hostile_files(row: dict[str, str]) -> dict[str, tuple[str, bytes]]:
    """Files that must be refused whole, built from one good row (header → cell): kind →
    (file name, bytes). None of them may write anything."""
    headers = list(row)
    line = ",".join(headers) + "\n" + ",".join(row.values()) + "\n"
    huge = dict(row) | {headers[0]: "长" * 300_000}
    formula = io.BytesIO()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    sheet.append(["=1+1" if i == 0 else v for i, v in enumerate(row.values())])
    book.save(formula)
    return {
        "empty": ("empty.csv", b""),
        "blank lines": ("blank.csv", b"\r\n\r\n  \r\n"),
        "header only": ("header.csv", line.split("\n")[0].encode() + b"\n"),
        "binary named csv": (
            "photo.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        ),
        "zip named csv": ("book.csv", formula.getvalue()),
        "bad encoding": ("latin.csv", line.encode("utf-8") + b"\xff\xfe\x80\x81,\x82\n"),
        "wrong columns": ("cols.csv", b"foo,bar\n1,2\n"),
        "too many cells": ("wide.csv", line.encode() + b"a,b,c,d,e,f,g,h,i,j,k\n"),
        "huge cell": ("huge.csv", _csv_bytes(headers, [list(huge.values())])),
        "formula without value": ("formula.xlsx", formula.getvalue()),
        "not a workbook": ("fake.xlsx", b"PK\x03\x04 not really a zip"),
        "unknown kind": ("leads.pdf", b"%PDF-1.4\n"),
    }


def _csv_bytes(headers: list[str], rows: list[list[str]]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")
