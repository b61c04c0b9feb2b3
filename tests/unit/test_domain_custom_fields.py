"""Custom attributes: values are checked against the admin's definitions, by kind."""

from __future__ import annotations

from datetime import date

import pytest

from fenpei.domain.custom_fields import (
    KEY_PATTERN,
    CustomField,
    FieldKind,
    clean_custom_values,
)
from fenpei.domain.errors import ValidationFailed

DEFINITIONS = [
    CustomField(key="wechat_group", label="WeChat group", kind=FieldKind.text),
    CustomField(key="budget", label="Budget", kind=FieldKind.number),
    CustomField(key="first_met", label="First met", kind=FieldKind.date),
    CustomField(key="tier", label="Tier", kind=FieldKind.choice, choices=["gold", "silver"]),
]
CONTRACT = CustomField(key="contract_no", label="Contract", kind=FieldKind.text, required=True)


def rejected(
    values: dict[str, object], definitions: list[CustomField] = DEFINITIONS, prefix: str = ""
) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        clean_custom_values(definitions, values, prefix=prefix)
    return {e.field: e.message for e in caught.value.errors}


def test_good_values_of_every_kind_are_kept() -> None:
    values = {
        "wechat_group": "华东大客户群",
        "budget": 12000,
        "first_met": "2024-02-29",
        "tier": "gold",
    }
    assert clean_custom_values(DEFINITIONS, values) == values


@pytest.mark.parametrize(("value", "number"), [(3, 3), ("2.5", 2.5), (1.25, 1.25), ("-4", -4.0)])
def test_numbers_are_accepted_as_numbers_or_numeric_text(value: object, number: float) -> None:
    assert clean_custom_values(DEFINITIONS, {"budget": value}) == {"budget": number}


@pytest.mark.parametrize(
    ("value", "message"),
    [("lots", "'lots' is not a number"), (True, "must be a number"), ([1], "[1] is not a number")],
)
def test_a_number_attribute_rejects_what_is_not_a_number(value: object, message: str) -> None:
    assert rejected({"budget": value}) == {"custom.budget": message}


@pytest.mark.parametrize("value", ["nan", "inf", float("nan"), float("-inf")])
def test_a_number_attribute_rejects_values_that_are_not_finite(value: object) -> None:
    assert set(rejected({"budget": value})) == {"custom.budget"}


@pytest.mark.parametrize(
    ("value", "text"), [("2024-02-29", "2024-02-29"), (date(2025, 1, 2), "2025-01-02")]
)
def test_dates_are_stored_as_iso_text(value: object, text: str) -> None:
    assert clean_custom_values(DEFINITIONS, {"first_met": value}) == {"first_met": text}


@pytest.mark.parametrize("value", ["2023-02-29", "29/02/2024", "tomorrow", "2024-13-01"])
def test_a_date_attribute_rejects_what_is_not_a_calendar_date(value: object) -> None:
    assert rejected({"first_met": value}) == {
        "custom.first_met": f"{value!r} is not a date (YYYY-MM-DD)"
    }


@pytest.mark.parametrize("value", [42, ["a"], "x" * 1001])
def test_a_text_attribute_takes_text_of_at_most_1000_characters(value: object) -> None:
    assert rejected({"wechat_group": value}) == {
        "custom.wechat_group": "must be text of at most 1000 characters"
    }


def test_a_choice_attribute_lists_the_choices_when_given_another_value() -> None:
    assert rejected({"tier": "bronze"}) == {"custom.tier": "'bronze' is not one of gold, silver"}


def test_an_undefined_attribute_is_named() -> None:
    assert rejected({"colour": "red"}) == {"custom.colour": "is not a defined custom attribute"}


def test_a_required_attribute_that_is_missing_or_empty_is_named_once() -> None:
    definitions = [*DEFINITIONS, CONTRACT]
    assert rejected({}, definitions) == {"custom.contract_no": "is required"}
    assert rejected({"contract_no": None}, definitions) == {"custom.contract_no": "is required"}
    with pytest.raises(ValidationFailed) as caught:
        clean_custom_values(definitions, {"contract_no": ""})
    assert len(caught.value.errors) == 1


def test_an_optional_attribute_given_empty_is_left_out() -> None:
    assert clean_custom_values(DEFINITIONS, {"tier": None, "budget": ""}) == {}


def test_every_bad_attribute_is_named_with_the_prefix() -> None:
    errors = rejected(
        {"budget": "lots", "tier": "bronze", "colour": "red"}, [*DEFINITIONS, CONTRACT], "row 3."
    )
    assert set(errors) == {
        "row 3.custom.budget",
        "row 3.custom.tier",
        "row 3.custom.colour",
        "row 3.custom.contract_no",
    }


def test_a_kind_loaded_as_plain_text_still_checks_values() -> None:
    loaded = CustomField(key="budget", label="Budget", kind="number")  # type: ignore[arg-type]
    assert rejected({"budget": "lots"}, [loaded]) == {"custom.budget": "'lots' is not a number"}


@pytest.mark.parametrize("key", ["tier", "a", "first_met", "x2", "a" * 40])
def test_attribute_keys_are_lower_snake_case_identifiers(key: str) -> None:
    assert KEY_PATTERN.match(key)


@pytest.mark.parametrize("key", ["Tier", "2x", "_tier", "first-met", "first met", "a" * 41, ""])
def test_other_attribute_keys_are_not_allowed(key: str) -> None:
    assert not KEY_PATTERN.match(key)
