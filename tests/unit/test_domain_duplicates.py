"""The duplicate check's keys: the same phone, email or company written two ways."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenpei.domain.customers import Customer
from fenpei.domain.duplicates import company_key, email_key, phone_key


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("+86-13800138000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("0086 138 0013 8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("＋８６ １３８ ００１３ ８０００", "13800138000"),
        ("010-12345678", "01012345678"),
        ("(010) 1234 5678", "01012345678"),
        ("+86 10 1234 5678", "01012345678"),
        ("+86 (0)10 1234 5678", "01012345678"),
        ("0086 21 6666 8888", "02166668888"),
        ("021-6666 8888 转 123", "02166668888"),
        ("021-66668888 ext. 9", "02166668888"),
        ("+1 202 555 0100", "0012025550100"),
        ("+852 2123 4567", "0085221234567"),
        ("1234567", "1234567"),
        ("123456", None),
        ("", None),
        (None, None),
        ("---", None),
    ],
)
def test_phone_key(written: str | None, key: str | None) -> None:
    assert phone_key(written) == key


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Li.Lei@Example.COM", "li.lei@example.com"),
        ("  li.lei@example.com ", "li.lei@example.com"),
        ("ｌｉ．ｌｅｉ＠ｅｘａｍｐｌｅ．ｃｏｍ", "li.lei@example.com"),
        ("STRASSE@EXAMPLE.DE", "strasse@example.de"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_email_key(written: str | None, key: str | None) -> None:
    assert email_key(written) == key


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("华为技术有限公司", "华为技术"),
        ("华为技术（中国）有限公司", "华为技术"),
        ("华为技术(中国)有限公司", "华为技术"),
        ("华为 技术 有限 公司", "华为技术"),
        ("华为技术股份有限公司", "华为技术"),
        ("华为技术有限责任公司", "华为技术"),
        ("阿里巴巴集团", "阿里巴巴"),
        ("阿里巴巴集团有限公司", "阿里巴巴"),
        ("阿里巴巴（中国）网络技术有限公司", "阿里巴巴网络技术"),
        ("北京字节跳动科技有限公司", "北京字节跳动科技"),
        ("【测试】上海某某贸易有限公司", "上海某某贸易"),
        ("上海某某贸易有限公司。", "上海某某贸易"),
        ("ACME Co., Ltd.", "acme"),
        ("Acme Co.Ltd", "acme"),
        ("ACME CO LTD", "acme"),
        ("acme co. ltd", "acme"),
        ("Acme Limited", "acme"),
        ("Acme Ltd", "acme"),
        ("Acme, Inc.", "acme"),
        ("Acme Incorporated", "acme"),
        ("Acme LLC", "acme"),
        ("Acme Corp.", "acme"),
        ("Acme Corporation", "acme"),
        ("ＡＣＭＥ　有限公司", "acme"),
        ("Acme (Shanghai) Co., Ltd.", "acme"),
        ("Siemens AG", "siemens"),
        ("Robert Bosch GmbH", "robertbosch"),
        ("Nestlé S.A.", "nestlé"),
        ("Tesco PLC", "tesco"),
        ("Tesco", "tesco"),
        ("Costco Wholesale", "costcowholesale"),
        ("Zinc Works Inc", "zincworks"),
        ("Co., Ltd.", None),
        ("有限公司", None),
        ("（中国）", None),
        ("", None),
        (None, None),
    ],
)
def test_company_key(written: str | None, key: str | None) -> None:
    assert company_key(written) == key


def test_distinct_companies_keep_distinct_keys() -> None:
    assert company_key("华为技术有限公司") != company_key("华为终端有限公司")
    assert company_key("Tesco") != company_key("Tes")


def test_a_customer_keeps_its_keys_when_its_contacts_change() -> None:
    customer = Customer(name="甲", phone="+86 138 0013 8000", company_name="ACME Co., Ltd.")
    assert (customer.phone_key, customer.email_key, customer.company_key) == (
        "13800138000", None, "acme",
    )  # fmt: skip

    customer.email = "Li@Example.com"
    customer.phone = None
    customer.company_name = "华为技术有限公司"

    assert (customer.phone_key, customer.email_key, customer.company_key) == (
        None, "li@example.com", "华为技术",
    )  # fmt: skip


def test_keys_cannot_be_set_by_hand_on_a_new_customer() -> None:
    customer = Customer(name="甲", phone="13800138000", phone_key="something else")
    assert customer.phone_key == "13800138000"


_FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"}
_NAMES = st.sampled_from(["华为技术", "Acme", "北京字节跳动", "Tesco", "Li Ning", "Nestlé", "3M"])
_SUFFIXES = st.sampled_from(
    ["", "有限公司", "（中国）有限公司", " Co., Ltd.", " Inc.", " GmbH", " 集团", " S.A.", " plc"]
)
_COMPANIES = st.builds(lambda n, s: n + s, _NAMES, _SUFFIXES)
_PHONES = st.from_regex(
    r"(\+86 ?|0086|86)?1[3-9][0-9]{9}|0[1-9][0-9]{1,2}-[0-9]{7,8}", fullmatch=True
)
_EMAILS = st.from_regex(r"[A-Za-z0-9._]{1,12}@[A-Za-z0-9]{1,10}\.(com|cn|COM)", fullmatch=True)


def _wide(text: str) -> str:
    return "".join(_FULL_WIDTH.get(ch, ch) for ch in text)


@given(_COMPANIES)
def test_company_key_is_idempotent_and_blind_to_width_and_case(name: str) -> None:
    key = company_key(name)
    assert key is not None
    assert company_key(key) == key
    assert company_key(_wide(name)) == key
    assert company_key(name.upper()) == company_key(name.lower()) == key


@given(_PHONES)
def test_phone_key_is_idempotent_and_blind_to_width(phone: str) -> None:
    key = phone_key(phone)
    assert key is not None
    assert phone_key(key) == key
    assert phone_key(_wide(phone)) == key


@given(_EMAILS)
def test_email_key_is_idempotent_and_blind_to_width_and_case(email: str) -> None:
    key = email_key(email)
    assert email_key(key) == key
    assert email_key(_wide(email)) == email_key(email.upper()) == key


@given(st.text(max_size=40))
def test_any_text_gives_a_stable_key_or_none(text: str) -> None:
    for key_of in (phone_key, email_key, company_key):
        key = key_of(text)
        assert key is None or key_of(key) == key
