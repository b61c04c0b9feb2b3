"""A file's kind comes from its bytes: real PDFs, images and Office files pass; programs,
HTML and SVG are refused whatever their name; a name claiming another kind is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenpei.domain import file_types
from fenpei.domain.file_types import Refused, sniff
from tests.file_samples import (
    HTML_PAGE,
    SVG_IMAGE,
    WINDOWS_PROGRAM,
    minimal_pdf,
    office_zip,
    tiny_png,
)

OLE_HEAD = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100


def _zip_names(data: bytes) -> list[str]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (minimal_pdf(), "合同.pdf", "application/pdf"),
        (tiny_png(), "photo.PNG", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20, "a.jpeg", "image/jpeg"),
        (b"GIF89a" + b"\x01\x00" * 10, "a.gif", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "a.webp", "image/webp"),
        (OLE_HEAD, "old.doc", "application/msword"),
        (OLE_HEAD, "old.xls", "application/vnd.ms-excel"),
        (OLE_HEAD, "old.ppt", "application/vnd.ms-powerpoint"),
        ("姓名,电话\n张三,138\n".encode(), "客户.csv", "text/csv; charset=utf-8"),
        ("姓名,电话\n张三,138\n".encode("gbk"), "客户.csv", "text/csv; charset=gb18030"),
        (b"plain notes\r\n", "notes.txt", "text/plain; charset=utf-8"),
        (b"plain notes\r\n", "README", "text/plain; charset=utf-8"),
    ],
)
def test_allowed_content_is_known_by_its_bytes(data: bytes, name: str, content_type: str) -> None:
    assert sniff(data, name=name, complete=True).content_type == content_type


@pytest.mark.parametrize(
    ("kind", "name", "content_type"),
    [
        ("docx", "方案.docx", file_types.DOCX.content_type),
        ("xlsx", "报价.xlsx", file_types.XLSX.content_type),
        ("pptx", "介绍.pptx", file_types.PPTX.content_type),
        ("zip", "all.zip", "application/zip"),
    ],
)
def test_office_files_are_told_apart_by_their_zip_entries(
    kind: str, name: str, content_type: str
) -> None:
    data = office_zip(kind)
    assert sniff(data, name=name, zip_names=_zip_names(data)).content_type == content_type


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (WINDOWS_PROGRAM, "invoice.pdf", "program"),
        (WINDOWS_PROGRAM, "setup.exe", "program"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 50, "report.pdf", "program"),
        (b"#!/bin/sh\nrm -rf /\n", "notes.txt", "script"),
        (HTML_PAGE, "report.pdf", "markup"),
        (HTML_PAGE, "page.txt", "markup"),
        (SVG_IMAGE, "logo.png", "markup"),
        (SVG_IMAGE, "logo.svg", "markup"),
        (b"  \n<html><body>hi</body></html>", "x.csv", "markup"),
        (tiny_png(), "scan.pdf", "mismatch"),
        (minimal_pdf(), "contract.docx", "mismatch"),
        (OLE_HEAD, "old.pdf", "ole_name"),
        (b"PK\x03\x04garbage", "a.zip", "damaged"),
        (b"", "empty.txt", "empty"),
        (b"\x00\x01\x02\x03binary", "data.txt", "binary"),
        (b"\x00\x01\x02\x03binary", "data.bin", "unknown"),
        ("text".encode("utf-16"), "u16.txt", "encoding"),
        (b"Rar!\x1a\x07\x00", "a.rar", "archive"),
    ],
)
def test_programs_markup_and_disguises_are_refused_with_what_they_are(
    data: bytes, name: str, code: str
) -> None:
    zip_names = None
    with pytest.raises(Refused) as refused:
        sniff(data, name=name, zip_names=zip_names, complete=True)
    assert refused.value.code == code, str(refused.value)
    assert str(refused.value)


def test_the_mismatch_names_the_extension_and_the_real_kind() -> None:
    with pytest.raises(Refused) as refused:
        sniff(tiny_png(), name="scan.pdf")
    assert refused.value.values == {"extension": "pdf", "kind": "png"}
    assert "named .pdf" in str(refused.value) and "PNG" in str(refused.value)


def test_a_head_cut_inside_a_chinese_character_is_still_text() -> None:
    text = ("客户资料" * 100).encode()
    head = text[:301]  # inside a three-byte character
    assert sniff(head, name="a.txt", complete=False).content_type.startswith("text/plain")


_NAMES = st.sampled_from(
    ["a.pdf", "a.png", "a.txt", "a.csv", "a.docx", "a.exe", "a.html", "a.svg", "a", "a.zip"]
)


@given(data=st.binary(max_size=2048), name=_NAMES)
def test_any_bytes_get_a_kind_that_fits_the_name_or_a_refusal(data: bytes, name: str) -> None:
    try:
        kind = sniff(data, name=name, zip_names=[], complete=True)
    except Refused as refused:
        assert refused.code and str(refused)
        return
    extension = file_types.extension_of(name)
    assert not extension or extension in kind.extensions
    assert kind in file_types.ALLOWED or kind in (file_types.TEXT_GB, file_types.CSV_GB)


@given(
    magic=st.sampled_from([b"MZ", b"\x7fELF", b"#!", b"<html>", b"<svg ", b"<!DOCTYPE html>"]),
    rest=st.binary(max_size=512),
    name=_NAMES,
)
def test_programs_and_pages_are_never_accepted_whatever_follows_or_their_name(
    magic: bytes, rest: bytes, name: str
) -> None:
    with pytest.raises(Refused):
        sniff(magic + rest, name=name, zip_names=[], complete=True)
