"""domain.limits: the bounds every entrypoint shares, on values hypothesis generates."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.limits import (
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_NESTING,
    NESTING_MESSAGE,
    NUL_MESSAGE,
    SURROGATE_MESSAGE,
    clean_text,
    clean_value,
    date_problem,
    find_bad_value,
    load_json,
    nesting_exceeds,
    text_problem,
)

_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
_GOOD_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))


@given(_GOOD_TEXT)
def test_valid_unicode_passes_and_is_left_as_it_is(text: str) -> None:
    assert text_problem(text) is None
    assert clean_text(text) == text
    text.encode("utf-8")  # storable and showable


@given(_GOOD_TEXT, _GOOD_TEXT, st.one_of(st.just("\x00"), _SURROGATES))
def test_nul_or_a_lone_surrogate_anywhere_is_refused_and_cleaned_for_reading(
    head: str, tail: str, bad: str
) -> None:
    text = head + bad + tail
    assert text_problem(text) == (NUL_MESSAGE if bad == "\x00" else SURROGATE_MESSAGE)
    cleaned = clean_text(text)
    assert text_problem(cleaned) is None
    assert cleaned == head + "\ufffd" + tail


def test_a_surrogate_pair_escaped_in_json_is_one_valid_character() -> None:
    assert load_json('["\\ud83d\\ude00"]', field="tags") == ["😀"]


def test_bad_values_are_named_by_their_path_keys_included() -> None:
    value = {"tags": ["ok", "bad\x00"], "custom": {"note": "x\ud800"}}
    found = find_bad_value(value)
    assert found is not None and found.field in ("tags[1]", "custom.note")
    assert str(find_bad_value({"custom": {"k\x00": 1}})) == f"custom: a key {NUL_MESSAGE}"


def test_nesting_is_measured_without_recursion_and_strings_do_not_count() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert nesting_exceeds(deep)
    assert not nesting_exceeds("[" * MAX_NESTING + "]" * MAX_NESTING)
    assert nesting_exceeds("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1))
    assert not nesting_exceeds(json.dumps({"text": "[" * 1000 + '\\"{' * 100}))
    with pytest.raises(ValidationFailed) as refused:
        load_json(deep, field="conditions")
    assert str(refused.value) == f"conditions: {NESTING_MESSAGE}"


def test_shape_limits_can_be_left_to_values_fenpei_builds_itself() -> None:
    value: object = "leaf"
    for _ in range(MAX_NESTING + 5):
        value = {"all": [value]}
    assert find_bad_value(value) is not None
    assert find_bad_value(value, shape=False) is None


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        (b"\xff\xfe", "file", "file: is not UTF-8 text"),
        ("{", "file", "file: is not valid JSON"),
        ('{"a": ["\\u0000"]}', "rule", f"rule.a[0]: {NUL_MESSAGE}"),
    ],
)
def test_load_json_names_the_field_and_the_problem(
    text: str | bytes, field: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        load_json(text, field=field)
    assert str(refused.value).startswith(message)


def test_clean_value_returns_the_same_object_when_nothing_needs_cleaning() -> None:
    value = {"a": ["b", {"c": 1}]}
    assert clean_value(value) is value
    assert clean_value({"a\ud800": ["\x00"]}) == {"a\ufffd": ["\ufffd"]}


@given(st.dates())
def test_dates_inside_the_range_pass_and_others_do_not(day: date) -> None:
    inside = EARLIEST_DATE <= day <= LATEST_DATE
    assert (date_problem(day) is None) is inside
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    assert (date_problem(moment) is None) is inside
