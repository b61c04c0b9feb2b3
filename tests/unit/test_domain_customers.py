"""Cleaning customer fields: every bad value is named with what to fix; good ones normalised."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fenpei.domain.customers import (
    FIELD_CLEANERS,
    OPEN_STAGES,
    Customer,
    Stage,
    clean_customer_fields,
    clean_customer_fields_partly,
)
from fenpei.domain.errors import FieldError, ValidationFailed


def rejected(raw: dict[str, object], *, partial: bool = True, prefix: str = "") -> dict[str, str]:
    """The errors ``raw`` gets, as field -> message."""
    with pytest.raises(ValidationFailed) as caught:
        clean_customer_fields(raw, partial=partial, prefix=prefix)
    return {e.field: e.message for e in caught.value.errors}


def cleaned(field: str, value: object) -> object:
    return clean_customer_fields({field: value}, partial=True)[field]


def test_a_new_customer_needs_only_a_name_which_is_trimmed() -> None:
    assert clean_customer_fields({"name": "  李雷 "}, partial=False) == {"name": "李雷"}


def test_a_new_customer_without_a_name_is_told_the_name_is_required() -> None:
    assert rejected({"email": "li@example.com"}, partial=False) == {"name": "is required"}


def test_an_update_may_leave_the_name_out() -> None:
    assert clean_customer_fields({"city": "Hangzhou"}, partial=True) == {"city": "Hangzhou"}


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_name_and_stage_cannot_be_cleared(empty: object) -> None:
    assert rejected({"name": empty, "stage": empty}) == {
        "name": "is required",
        "stage": "is required",
    }


@pytest.mark.parametrize(
    ("field", "empty", "stored"),
    [
        ("email", None, None),
        ("phone", "", None),
        ("city", "  ", None),
        ("revenue", None, None),
        ("tags", None, []),
        ("tags", "", []),
        ("custom", None, {}),
    ],
)
def test_an_empty_value_clears_an_optional_field(field: str, empty: object, stored: object) -> None:
    assert cleaned(field, empty) == stored


def test_an_unknown_field_is_named_as_not_a_customer_field() -> None:
    assert rejected({"name": "Li Lei", "owner_id": 3, "colour": "red"}) == {
        "owner_id": "is not a customer field",
        "colour": "is not a customer field",
    }


def test_every_bad_field_is_named_at_once() -> None:
    errors = rejected(
        {
            "name": "",
            "email": "li.lei@",
            "phone": "12",
            "employees": -1,
            "stage": "maybe",
            "score": 120,
        },
        partial=False,
    )
    assert set(errors) == {"name", "email", "phone", "employees", "stage", "score"}


def test_prefix_is_prepended_to_every_field_it_names() -> None:
    errors = rejected({"email": "nope", "colour": "red"}, partial=False, prefix="row 7.")
    assert set(errors) == {"row 7.email", "row 7.colour", "row 7.name"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (123, "must be text"),
        (["Li Lei"], "must be text"),
        ("x" * 201, "is longer than 200 characters"),
    ],
)
def test_text_fields_must_be_text_within_their_length(value: object, message: str) -> None:
    assert rejected({"name": value}) == {"name": message}


def test_text_at_the_length_limit_is_kept_whole() -> None:
    assert cleaned("name", "x" * 200) == "x" * 200
    assert cleaned("level", " " + "L" * 50 + " ") == "L" * 50


def test_contact_details_are_trimmed_and_checked() -> None:
    fields = clean_customer_fields(
        {"email": " li@example.com ", "phone": " +86 138-0013-8000", "wechat": "wxid_lilei "},
        partial=True,
    )
    assert fields == {
        "email": "li@example.com",
        "phone": "+86 138-0013-8000",
        "wechat": "wxid_lilei",
    }


def test_bad_contact_details_say_what_shape_is_expected() -> None:
    errors = rejected({"email": "li.lei", "phone": "12345", "wechat": "8lilei"})
    assert "name@example.com" in errors["email"]
    assert "7 to 15" in errors["phone"]
    assert "starting with a letter" in errors["wechat"]


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (12, 12),
        ("12", 12),
        (" 7 ", 7),
        (40.0, 40),
        ("12.0", 12),
        (Decimal("3"), 3),
        (0, 0),
        (2**31 - 1, 2**31 - 1),
    ],
)
def test_employees_accepts_whole_numbers_in_any_form(value: object, number: int) -> None:
    result = cleaned("employees", value)
    assert result == number and type(result) is int


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "1.5 is not a whole number"),
        ("12.5", "'12.5' is not a whole number"),
        ("many", "'many' is not a whole number"),
        (True, "must be a whole number"),
        ([12], "must be a whole number"),
        (float("nan"), "nan is not a whole number"),
        (float("inf"), "inf is not a whole number"),
        ("-Infinity", "'-Infinity' is not a whole number"),
    ],
)
def test_employees_rejects_what_is_not_a_whole_number(value: object, message: str) -> None:
    assert rejected({"employees": value}) == {"employees": message}


@pytest.mark.parametrize("value", [-1, "-1", 2**31, 10**12, "1e400"])
def test_employees_outside_what_an_integer_column_holds_is_rejected(value: object) -> None:
    assert rejected({"employees": value}) == {"employees": "must be between 0 and 2147483647"}


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("1234.567", Decimal("1234.57")),
        (10, Decimal("10.00")),
        (0.1, Decimal("0.10")),
        (" 99.9 ", Decimal("99.90")),
        ("1e3", Decimal("1000.00")),
        ("1,000", Decimal("1000.00")),
        (" 1,234,567.891 ", Decimal("1234567.89")),
        ("99999999999999.99", Decimal("99999999999999.99")),
    ],
)
def test_money_is_quantised_to_cents(value: object, amount: Decimal) -> None:
    result = cleaned("expected_value", value)
    assert result == amount
    assert isinstance(result, Decimal) and result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("12.345", Decimal("12.35")),
        (12.345, Decimal("12.35")),
        ("0.125", Decimal("0.13")),
        ("0.005", Decimal("0.01")),
        ("12.344", Decimal("12.34")),
    ],
)
def test_money_rounds_half_cents_up(value: object, amount: Decimal) -> None:
    assert cleaned("expected_value", value) == amount


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ten", "'ten' is not a number"),
        (",", "',' is not a number"),
        ("NaN", "must be a finite number"),
        ("Infinity", "must be a finite number"),
        (True, "must be a number"),
        ([5], "must be a number"),
    ],
)
def test_money_rejects_what_is_not_a_usable_amount(value: object, message: str) -> None:
    assert rejected({"revenue": value}) == {"revenue": message}


@pytest.mark.parametrize(
    "value", [-5, "-0.01", "100000000000000", "99999999999999.995", "1e30", 10**400]
)
def test_money_outside_what_the_numeric_column_holds_is_rejected(value: object) -> None:
    assert rejected({"revenue": value}) == {"revenue": "must be between 0 and 99999999999999.99"}


@pytest.mark.parametrize("value", ["1,5", "12,50"])
def test_a_comma_that_is_not_a_thousands_separator_is_not_silently_dropped(value: str) -> None:
    assert set(rejected({"revenue": value})) == {"revenue"}


@pytest.mark.parametrize(
    ("value", "stage"),
    [
        ("new", Stage.new),
        (" Won ", Stage.won),
        ("QUALIFIED", Stage.qualified),
        (Stage.lost, Stage.lost),
    ],
)
def test_stage_is_parsed_case_insensitively(value: object, stage: Stage) -> None:
    assert cleaned("stage", value) is stage


def test_unknown_stage_lists_the_stages_there_are() -> None:
    assert rejected({"stage": "maybe"}) == {
        "stage": "'maybe' is not a stage (one of new, contacted, qualified, won, lost)"
    }


@pytest.mark.parametrize(
    ("value", "tags"),
    [
        ("a, b，c", ["a", "b", "c"]),
        ("vip,  ,vip, 华东", ["vip", "华东"]),
        (["b", " a ", "b", ""], ["a", "b"]),
        (("x",), ["x"]),
    ],
)
def test_tags_come_from_a_list_or_comma_separated_text_deduplicated_and_sorted(
    value: object, tags: list[str]
) -> None:
    assert cleaned("tags", value) == tags


@pytest.mark.parametrize("value", [[1, 2], 5, {"a": 1}, ["a", None]])
def test_tags_that_are_not_text_are_rejected(value: object) -> None:
    assert rejected({"tags": value}) == {"tags": "must be a list of text tags"}


@pytest.mark.parametrize(("value", "score"), [("88.5", 88.5), (0, 0.0), (100, 100.0)])
def test_score_is_a_number_from_0_to_100(value: object, score: float) -> None:
    assert cleaned("score", value) == score


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (101, "must be between 0 and 100"),
        (-0.5, "must be between 0 and 100"),
        (float("nan"), "must be between 0 and 100"),
        ("NaN", "must be between 0 and 100"),
        ("1e400", "must be between 0 and 100"),
        ("high", "'high' is not a number"),
        ([1], "[1] is not a number"),
        (True, "must be a number"),
        (False, "must be a number"),
    ],
)
def test_score_outside_0_to_100_or_not_a_number_is_rejected(value: object, message: str) -> None:
    assert rejected({"score": value}) == {"score": message}


def test_score_rejects_an_integer_too_large_for_a_float() -> None:
    assert rejected({"score": 10**400})["score"].endswith(" is not a number")


def test_custom_must_be_an_object() -> None:
    assert cleaned("custom", {"tier": "gold"}) == {"tier": "gold"}
    assert rejected({"custom": "gold"}) == {
        "custom": "must be an object of custom attribute values"
    }


def test_dates_accept_iso_text_and_datetimes() -> None:
    aware = datetime(2024, 1, 5, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    assert cleaned("created_at", aware) is aware
    assert cleaned("closed_at", "2024-01-05T08:00:00+08:00") == aware


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("2024-01-05T10:00", datetime(2024, 1, 5, 10, 0, tzinfo=UTC)),
        (" 2024-01-05 10:00:30 ", datetime(2024, 1, 5, 10, 0, 30, tzinfo=UTC)),
        ("2024-01-05T10:00:00.250000Z", datetime(2024, 1, 5, 10, 0, 0, 250000, tzinfo=UTC)),
        ("2024-01-05T10:00-05:00", datetime(2024, 1, 5, 15, 0, tzinfo=UTC)),
    ],
)
def test_dates_accept_iso_date_times_with_or_without_seconds_and_zone(
    value: str, moment: datetime
) -> None:
    assert cleaned("created_at", value) == moment


@pytest.mark.parametrize(
    "value", ["05/01/2024", "2024-1-5", "20240105", "2024-01-05T10", "tomorrow", 20240105]
)
def test_a_date_that_is_not_one_says_which_format_is_expected(value: object) -> None:
    assert rejected({"created_at": value}) == {
        "created_at": f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)"
    }


@pytest.mark.parametrize("value", ["2024-02-30", "2024-13-01", "2024-01-05T24:00"])
def test_a_date_in_the_right_format_that_does_not_exist_is_rejected(value: str) -> None:
    assert rejected({"closed_at": value}) == {"closed_at": f"{value!r} is not a valid date"}


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("2024-01-05", datetime(2024, 1, 5, tzinfo=UTC)),
        (date(2024, 1, 5), datetime(2024, 1, 5, tzinfo=UTC)),
        ("2024-01-05T10:00:00", datetime(2024, 1, 5, 10, 0, tzinfo=UTC)),
        (datetime(2024, 1, 5, 10, 0), datetime(2024, 1, 5, 10, 0, tzinfo=UTC)),
    ],
)
def test_a_date_without_a_time_zone_is_read_in_utc_by_default(
    value: object, moment: datetime
) -> None:
    result = cleaned("created_at", value)
    assert isinstance(result, datetime) and result.tzinfo is UTC
    assert result == moment


def test_a_date_without_a_time_zone_is_read_in_the_zone_given() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    fields, errors = clean_customer_fields_partly(
        {"created_at": "2024-01-05", "closed_at": "2024-01-06T08:00+00:00"},
        partial=True,
        zone=shanghai,
    )
    assert errors == []
    assert fields["created_at"] == datetime(2024, 1, 5, tzinfo=shanghai)
    assert fields["created_at"] == datetime(2024, 1, 4, 16, 0, tzinfo=UTC)
    assert fields["closed_at"] == datetime(2024, 1, 6, 8, 0, tzinfo=UTC), "its own zone kept"


@pytest.mark.parametrize(
    ("value", "midnight"),
    [
        ("2024-01-05+08:00", datetime(2024, 1, 5, tzinfo=timezone(timedelta(hours=8)))),
        ("2024-01-05+05:30", datetime(2024, 1, 5, tzinfo=timezone(timedelta(hours=5.5)))),
    ],
)
def test_a_date_with_a_zone_but_no_time_is_midnight_there_or_refused(
    value: str, midnight: datetime
) -> None:
    fields, errors = clean_customer_fields_partly({"created_at": value}, partial=True)
    if errors:
        assert [e.field for e in errors] == ["created_at"]
    else:
        assert fields["created_at"] == midnight


def test_cleaning_partly_returns_what_is_good_with_the_errors_of_the_rest() -> None:
    fields, errors = clean_customer_fields_partly(
        {"name": " Li Lei ", "email": "li@", "level": " a ", "colour": "red"},
        partial=False,
        prefix="row 3.",
    )
    assert fields == {"name": "Li Lei", "level": "a"}
    assert [e.field for e in errors] == ["row 3.email", "row 3.colour"]
    _, missing = clean_customer_fields_partly({}, partial=False)
    assert missing == [FieldError("name", "is required")]


def test_stages_won_and_lost_are_closed_the_others_open() -> None:
    assert (Stage.new, Stage.contacted, Stage.qualified) == OPEN_STAGES
    assert not Customer(name="x", stage=Stage.won).is_open
    assert Customer(name="x", stage=Stage.contacted).is_open


def test_validation_failed_lists_ten_problems_and_counts_the_rest() -> None:
    error = ValidationFailed([FieldError(f"row {n}.email", "bad") for n in range(12)])
    assert str(error).startswith("row 0.email: bad; row 1.email: bad")
    assert str(error).endswith("; … and 2 more")
    assert error.as_dict()["code"] == "validation_failed"
    assert len(error.as_dict()["errors"]) == 12
    assert ValidationFailed.one("email", "bad").errors == [FieldError("email", "bad")]


# Any JSON value, as an API body or an import row can carry, for any field.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.decimals(allow_nan=True),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=4,
)


@settings(derandomize=True, database=None, max_examples=300, deadline=None)
@example(field="employees", value=float("inf"))
@example(field="revenue", value="1e30")
@example(field="score", value=10**400)
@given(field=st.sampled_from(sorted(FIELD_CLEANERS)), value=json_values)
def test_any_value_for_any_field_is_either_cleaned_or_named_as_bad(
    field: str, value: object
) -> None:
    try:
        fields = clean_customer_fields({field: value}, partial=True)
    except ValidationFailed as exc:
        assert [e.field for e in exc.errors] == [field]
    else:
        assert list(fields) == [field]
        kept = fields[field]
        if isinstance(kept, datetime):
            assert kept.tzinfo is not None
