"""Matching a file's columns to customer fields, by English or Chinese names."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from fenpei.domain.custom_fields import CustomField
from fenpei.domain.customers import FIELD_CLEANERS, Stage
from fenpei.domain.errors import FieldError, ValidationFailed

# Column names people use for each field, in English and Chinese, separated by "|".
# Matching ignores case, spaces, "_", "-", "*" (a "required" marker) and brackets.
COLUMN_ALIASES: Mapping[str, str] = {
    "name": "name|customer name|full name|姓名|客户名称|客户姓名|客户名|客户",
    "company_name": "company|company name|account|公司|公司名称|企业|企业名称",
    "phone": "phone|mobile|telephone|tel|电话|手机|手机号|手机号码|联系电话",
    "email": "email|e-mail|邮箱|电子邮箱|邮件|电子邮件",
    "wechat": "wechat|weixin|wechat id|微信|微信号",
    "country": "country|国家",
    "province": "province|省份|省",
    "city": "city|城市",
    "region": "region|area|区域|地区|大区",
    "industry": "industry|sector|行业|所属行业",
    "employees": "employees|employee count|headcount|员工数|员工人数",
    "revenue": "revenue|annual revenue|营收|营业收入|年营收",
    "level": "level|grade|customer level|等级|客户等级|级别|客户级别",
    "customer_type": "customer type|客户类型",
    "source": "source|lead source|来源|客户来源|线索来源",
    "product_interest": "product interest|意向产品",
    "expected_value": "expected value|deal value|amount|预计金额|预期金额|金额",
    "stage": "stage|阶段|客户阶段",
    "tags": "tags|tag|labels|标签",
    "external_id": "external id|id|customer id|编号|外部编号|客户编号",
    "created_at": "created at|创建时间|创建日期",
    "closed_at": "closed at|关闭时间|成交时间",
}
# Fields a file may fill; the score is computed, custom attributes go by "custom.<key>".
IMPORTABLE_FIELDS = tuple(name for name in FIELD_CLEANERS if name not in ("score", "custom"))
# Stages as Chinese files write them; English codes are understood by the cleaner itself.
STAGE_ALIASES: Mapping[str, Stage] = {
    **dict.fromkeys(("新", "新建", "新线索", "新客户"), Stage.new),
    **dict.fromkeys(("已联系", "跟进中", "联系中"), Stage.contacted),
    **dict.fromkeys(("意向", "有意向", "已确认"), Stage.qualified),
    **dict.fromkeys(("成交", "已成交", "赢单"), Stage.won),
    **dict.fromkeys(("输单", "丢单", "流失", "已流失"), Stage.lost),
}
_IGNORED_IN_NAMES = re.compile(r"[\s_\-*()（）\[\]【】:：]+")


def _column_key(header: str) -> str:
    return _IGNORED_IN_NAMES.sub("", header.casefold())


_FIELD_BY_ALIAS = {
    _column_key(alias): field
    for field, aliases in COLUMN_ALIASES.items()
    for alias in aliases.split("|")
}


def guess_columns(headers: Sequence[str], custom_fields: Sequence[CustomField]) -> dict[str, str]:
    """The field each header fills, by alias or custom attribute key / label; unknown left out."""
    custom = {_column_key(d.key): d.key for d in custom_fields}
    custom |= {_column_key(d.label): d.key for d in custom_fields}
    guessed: dict[str, str] = {}
    for header in headers:
        key = _column_key(header)
        if key in _FIELD_BY_ALIAS:
            guessed[header] = _FIELD_BY_ALIAS[key]
        elif key in custom:
            guessed[header] = f"custom.{custom[key]}"
    return guessed


def resolve_columns(
    headers: Sequence[str],
    mapping: Mapping[str, str | None] | None,
    custom_fields: Sequence[CustomField],
) -> dict[str, str]:
    """Header → field for a file: guesses, overridden by ``mapping``; checked for clashes."""
    columns = guess_columns(headers, custom_fields)
    errors: list[FieldError] = []
    targets = {*IMPORTABLE_FIELDS, *(f"custom.{d.key}" for d in custom_fields)}
    for header, target in (mapping or {}).items():
        if header not in headers:
            errors.append(FieldError(f"mapping.{header}", "is not a column of the file"))
        elif not target:
            columns.pop(header, None)
        elif target not in targets:
            allowed = ", ".join(sorted(targets))
            errors.append(FieldError(f"mapping.{header}", f"{target!r} is not one of {allowed}"))
        else:
            columns[header] = target
    filled_by: dict[str, str] = {}
    for header, target in columns.items():
        if target in filled_by:
            errors.append(
                FieldError(
                    "columns",
                    f"{filled_by[target]!r} and {header!r} both fill {target}; "
                    "remove one or map it to another field",
                )
            )
        filled_by.setdefault(target, header)
    if "name" not in filled_by:
        found = ", ".join(repr(h) for h in headers)
        errors.append(
            FieldError(
                "columns",
                f"no column holds the customer name (name, 姓名 or 客户名称); found {found}",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return columns
