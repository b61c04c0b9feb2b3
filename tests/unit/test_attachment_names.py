"""Uploaded file names are made safe to store, show and send back: no path, no control or
invisible characters, bounded length with the extension kept; Chinese stays."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from fenpei.domain.attachments import MAX_NAME_CHARS, sanitize_file_name, with_extension
from fenpei.http.downloads import ascii_fallback, content_disposition


def test_chinese_names_are_kept() -> None:
    assert sanitize_file_name("2026年 合同（盖章版）.pdf") == "2026年 合同（盖章版）.pdf"


def test_paths_are_cut_to_the_last_part() -> None:
    assert sanitize_file_name("../../etc/passwd") == "passwd"
    assert sanitize_file_name("C:\\Users\\张三\\报价.xlsx") == "报价.xlsx"
    assert sanitize_file_name("/") == "file"


def test_control_and_bidi_characters_are_removed() -> None:
    # U+202E makes "invoice‮fdp.exe" look like "invoiceexe.pdf".
    assert sanitize_file_name("invoice\u202efdp.exe") == "invoice fdp.exe"
    assert sanitize_file_name("a\x00b\nc.txt") == "a b c.txt"


def test_reserved_and_empty_names_get_a_safe_name() -> None:
    assert sanitize_file_name("CON.txt") == "_CON.txt"
    assert sanitize_file_name("   ...   ") == "file"
    assert sanitize_file_name(".pdf") == "pdf"


def test_long_names_keep_their_extension() -> None:
    name = sanitize_file_name("长" * 500 + ".pdf")
    assert name.endswith(".pdf") and len(name) == MAX_NAME_CHARS


def test_a_name_without_extension_gets_the_sniffed_one() -> None:
    assert with_extension("scan", "pdf") == "scan.pdf"
    assert with_extension("scan.pdf", "pdf") == "scan.pdf"


@given(st.text(max_size=400))
def test_any_name_becomes_a_safe_one(raw: str) -> None:
    name = sanitize_file_name(raw)
    assert name and len(name) <= MAX_NAME_CHARS
    assert not any(c in name for c in '/\\<>:"|?*')
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn") for c in name)
    assert name == name.strip(" .") or name.startswith("_")
    assert name not in (".", "..")
    assert sanitize_file_name(name) == name  # stable


@given(st.text(min_size=1, max_size=100))
def test_the_download_header_carries_any_name_safely(raw: str) -> None:
    name = sanitize_file_name(raw)
    header = content_disposition(name, inline=False)
    header.encode("latin-1")  # a header value must be Latin-1: ASCII here
    assert header.isascii() and "\n" not in header and "\r" not in header
    assert header.startswith('attachment; filename="')
    assert '"' not in ascii_fallback(name)
