"""Contact details: which emails, phone numbers and WeChat ids are usable, and why not."""

from __future__ import annotations

import pytest

from fenpei.domain.contacts import email_problem, normalize_phone, phone_problem, wechat_problem


@pytest.mark.parametrize(
    "address",
    ["li.lei@example.com", "a+crm@sub.example.com.cn", "SALES@EXAMPLE.COM", "o'neil@example.ie"],
)
def test_usable_email_addresses_have_no_problem(address: str) -> None:
    assert email_problem(address) is None


@pytest.mark.parametrize(
    "address",
    [
        "plainaddress",
        "li.lei@example",
        "@example.com",
        "li lei@example.com",
        "li.lei@-example.com",
        "li.lei@example..com",
        "李雷@example.com",
    ],
)
def test_unusable_email_address_is_quoted_with_an_example_of_the_right_shape(address: str) -> None:
    problem = email_problem(address)
    assert problem is not None
    assert repr(address) in problem
    assert "name@example.com" in problem


def test_email_longer_than_254_characters_says_so() -> None:
    address = "a" * 250 + "@example.com"
    assert email_problem(address) == "is longer than 254 characters"


@pytest.mark.parametrize(
    "number", ["+86 138-0013-8000", "(010) 6552-9988", "010.6552.9988", "1234567", "1" * 15]
)
def test_phone_numbers_with_7_to_15_digits_and_separators_are_usable(number: str) -> None:
    assert phone_problem(number) is None


@pytest.mark.parametrize("number", ["138abc0013", "+86 138/0013/8000", "tel:13800138000"])
def test_phone_with_other_characters_names_the_characters_allowed(number: str) -> None:
    problem = phone_problem(number)
    assert problem is not None
    assert "may contain only digits, spaces, +, -, ., ( and )" in problem


@pytest.mark.parametrize(("number", "digits"), [("12345", 5), ("123456", 6), ("1" * 16, 16)])
def test_phone_with_too_few_or_too_many_digits_counts_them(number: str, digits: int) -> None:
    assert phone_problem(number) == f"{number!r} has {digits} digits; a phone number has 7 to 15"


def test_normalized_phone_numbers_compare_equal_whatever_the_separators() -> None:
    assert normalize_phone("+86 138-0013-8000") == "+8613800138000"
    assert normalize_phone(" +86 (138) 0013.8000 ") == "+8613800138000"
    assert normalize_phone("010-6552-9988") == normalize_phone("(010) 6552 9988") == "01065529988"


@pytest.mark.parametrize("wechat", ["wxid_abc", "Li-Lei_2024", "abcdef", "a" * 20])
def test_wechat_ids_of_6_to_20_characters_starting_with_a_letter_are_usable(wechat: str) -> None:
    assert wechat_problem(wechat) is None


@pytest.mark.parametrize(
    "wechat", ["1abcdef", "abcde", "a" * 21, "微信号abcdef", "li lei01", "_abcdef"]
)
def test_unusable_wechat_id_is_quoted_with_the_rule(wechat: str) -> None:
    problem = wechat_problem(wechat)
    assert problem is not None
    assert repr(wechat) in problem
    assert "6-20 letters, digits, _ or -, starting with a letter" in problem
