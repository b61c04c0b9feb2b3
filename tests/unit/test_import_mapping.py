"""Column mappings as people write them (``--map``, JSON, the form) and as they are
remembered: fields, English and Chinese aliases, custom attributes, ignore; clear errors."""

from __future__ import annotations

import pytest

from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.errors import ValidationFailed
from fenpei.services._import_columns import resolve_columns
from fenpei.services.imports.mapping import (
    header_signature,
    parse_json,
    parse_pairs,
    source_key,
    target_of,
)

BUDGET = CustomField(key="budget", label="预算", kind=FieldKind.number)


@pytest.mark.parametrize(
    ("written", "field"),
    [
        ("company_name", "company_name"),
        ("company", "company_name"),
        ("公司名称", "company_name"),
        ("Mobile", "phone"),
        ("手机号码", "phone"),
        ("budget", "custom.budget"),
        ("custom.budget", "custom.budget"),
        ("预算", "custom.budget"),
        ("ignore", None),
        ("忽略", None),
        ("", None),
    ],
)
def test_a_target_is_a_field_an_alias_or_a_custom_attribute(
    written: str, field: str | None
) -> None:
    assert target_of(written, [BUDGET], at="map[0]") == field


def test_an_unknown_target_names_where_it_was_and_what_is_allowed() -> None:
    with pytest.raises(ValidationFailed) as refused:
        target_of("shoe size", [BUDGET], at="map[2]")
    error = refused.value.errors[0]
    assert error.field == "map[2]"
    assert "'shoe size' is not a customer field" in error.message
    assert "custom.budget" in error.message and "ignore" in error.message


def test_pairs_are_parsed_and_each_bad_pair_is_named() -> None:
    assert parse_pairs(["公司名称=company", "联系人 = name", "备注=ignore"], []) == {
        "公司名称": "company_name",
        "联系人": "name",
        "备注": None,
    }
    with pytest.raises(ValidationFailed) as refused:
        parse_pairs(["公司名称", "=name", "a=b"], [])
    assert [e.field for e in refused.value.errors] == ["map[0]", "map[1]", "map[2]"]


def test_json_mappings_accept_null_and_refuse_other_shapes() -> None:
    assert parse_json('{"手机": "phone", "备注": null}', []) == {"手机": "phone", "备注": None}
    for text, field in [("[1]", "mapping"), ("{", "mapping"), ('{"a": 3}', "mapping.a")]:
        with pytest.raises(ValidationFailed) as refused:
            parse_json(text, [])
        assert refused.value.errors[0].field == field


def test_the_header_signature_ignores_order_case_and_spacing() -> None:
    assert header_signature(["Name", "手机"]) == header_signature(["手机 ", "name"])
    assert header_signature(["Name", "手机"]) != header_signature(["Name", "邮箱"])
    assert source_key(None, ["a"]) == header_signature(["a"])
    assert source_key("  展会 ", ["a"]) == "展会"
    with pytest.raises(ValidationFailed):
        source_key("x" * 201, ["a"])


def test_a_mapping_overrides_guesses_and_ignores_columns() -> None:
    headers = ["公司名称", "联系人", "手机", "备注"]
    columns = resolve_columns(headers, {"联系人": "name", "手机": None}, [])
    assert columns == {"公司名称": "company_name", "联系人": "name"}
    with pytest.raises(ValidationFailed) as refused:
        resolve_columns(headers, {"联系人": "company_name"}, [])
    assert "both fill company_name" in str(refused.value)
