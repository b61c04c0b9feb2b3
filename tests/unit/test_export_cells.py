"""Formula neutralisation: whatever the text, no exported cell starts a formula; text that
could not has nothing added; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fenpei.adapters.exports.cells import DANGEROUS_STARTS, neutralise, safe_cell
from fenpei.adapters.exports.csv_file import BOM, csv_chunks


@given(st.text())
def test_no_neutralised_text_starts_a_formula(text: str) -> None:
    shown = neutralise(text)

    assert not shown.startswith(DANGEROUS_STARTS)
    assert shown.removeprefix("'") == text or shown == text


@given(st.text().filter(lambda s: not s.startswith(DANGEROUS_STARTS)))
def test_safe_text_round_trips_unchanged(text: str) -> None:
    assert neutralise(text) == text


@given(st.sampled_from(DANGEROUS_STARTS), st.text())
def test_dangerous_text_gets_one_quote_and_keeps_the_rest(start: str, rest: str) -> None:
    assert neutralise(start + rest) == "'" + start + rest


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.decimals(allow_nan=False)))
def test_numbers_stay_numbers_even_negative(number: int | float | Decimal) -> None:
    assert safe_cell(number) == number


@given(st.lists(st.lists(st.text(), min_size=2, max_size=2), max_size=5))
def test_csv_rows_read_back_neutralised_with_a_bom(rows: list[list[str]]) -> None:
    data = b"".join(csv_chunks(["a", "=b"], [rows])).decode("utf-8")

    assert data.startswith(BOM)
    read = list(csv.reader(io.StringIO(data.removeprefix(BOM), newline="")))
    assert read[0] == ["a", "'=b"]
    assert read[1:] == [[neutralise(value) for value in row] for row in rows]
