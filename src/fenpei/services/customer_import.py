"""Importing customers from a file's rows (CSV / Excel): every row is valid, or nothing is written.

Columns are matched to customer fields by English or Chinese names (``姓名``, ``手机``,
``客户等级`` …) or by an explicit mapping; custom attributes match their key or label.
Imported customers have no owner: routing them is a separate step.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Protocol

from fenpei.domain.audit import AuditEntry
from fenpei.domain.custom_fields import CustomField
from fenpei.domain.customers import FIELD_CLEANERS, Customer, Stage
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.users import Actor
from fenpei.services.categories import load_category_index
from fenpei.services.customers import validate_customer_fields
from fenpei.services.ports import UnitOfWork

MAX_LISTED_ERRORS = 100
IMPORT_SOURCE = "import"
_PROGRESS_EVERY = 100

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


class ImportTable(Protocol):
    """Rows read from a file: each pairs its row number in the file with header → cell text."""

    @property
    def name(self) -> str: ...
    @property
    def headers(self) -> Sequence[str]: ...
    @property
    def rows(self) -> Sequence[tuple[int, Mapping[str, str]]]: ...


@dataclass(frozen=True)
class ImportSummary:
    """What an import did (or, on a dry run, would do)."""

    file_name: str
    rows: int
    imported: int
    dry_run: bool
    columns: dict[str, str]
    ignored_columns: list[str]
    unknown_companies: int
    customer_ids: list[int]

    @property
    def warnings(self) -> list[str]:
        notes = [f"column {c!r} matches no customer field; ignored" for c in self.ignored_columns]
        if self.unknown_companies:
            notes.append(
                f"{self.unknown_companies} row(s) name a company fenpei does not know; "
                "the company name is kept as text, unlinked"
            )
        return notes


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


def _resolve_columns(
    table: ImportTable, mapping: Mapping[str, str | None] | None, custom_fields: list[CustomField]
) -> dict[str, str]:
    columns = guess_columns(table.headers, custom_fields)
    errors: list[FieldError] = []
    targets = {*IMPORTABLE_FIELDS, *(f"custom.{d.key}" for d in custom_fields)}
    for header, target in (mapping or {}).items():
        if header not in table.headers:
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
        found = ", ".join(repr(h) for h in table.headers)
        errors.append(
            FieldError(
                "columns",
                f"no column holds the customer name (name, 姓名 or 客户名称); found {found}",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return columns


def _row_fields(cells: Mapping[str, str], columns: Mapping[str, str]) -> dict[str, object]:
    raw: dict[str, object] = {}
    custom: dict[str, object] = {}
    for header, target in columns.items():
        value = cells.get(header, "").strip()
        if target.startswith("custom."):
            custom[target.removeprefix("custom.")] = value
        elif value:
            raw[target] = STAGE_ALIASES.get(value, value) if target == "stage" else value
    if custom:
        raw["custom"] = custom
    return raw


def _cap(errors: list[tuple[int, FieldError]], *, rows: int) -> list[FieldError]:
    """The first errors in row order, and a count of the rest."""
    errors.sort(key=lambda pair: pair[0])
    listed = [error for _, error in errors[:MAX_LISTED_ERRORS]]
    if len(errors) > MAX_LISTED_ERRORS:
        more, bad_rows = len(errors) - MAX_LISTED_ERRORS, len({n for n, _ in errors})
        message = f"{more} more problem(s) not listed; {bad_rows} of {rows} rows need fixing"
        listed.append(FieldError("rows", message))
    return listed


def _validate_rows(
    uow: UnitOfWork,
    table: ImportTable,
    columns: Mapping[str, str],
    progress: Callable[[int, int], None] | None,
    zone: tzinfo,
) -> list[dict[str, object]]:
    categories = load_category_index(uow)
    custom_fields = uow.custom_fields.all()
    total = len(table.rows)
    valid: list[dict[str, object]] = []
    errors: list[tuple[int, FieldError]] = []
    first_row_of: dict[str, int] = {}
    for done, (number, cells) in enumerate(table.rows, start=1):
        prefix = f"row {number}."
        raw = _row_fields(cells, columns)
        try:
            valid.append(
                validate_customer_fields(
                    uow,
                    raw,
                    partial=False,
                    prefix=prefix,
                    categories=categories,
                    custom_fields=custom_fields,
                    zone=zone,
                )
            )
        except ValidationFailed as exc:
            errors += [(number, e) for e in exc.errors]
        external_id = raw.get("external_id")
        if isinstance(external_id, str):
            if external_id in first_row_of:
                message = f"{external_id!r} is also in row {first_row_of[external_id]}"
                errors.append((number, FieldError(prefix + "external_id", message)))
            first_row_of.setdefault(external_id, number)
        if progress is not None and (done % _PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    for external_id, customer_id in uow.customers.ids_by_external_id(first_row_of).items():
        number = first_row_of[external_id]
        message = f"{external_id!r} is already used by customer {customer_id}"
        errors.append((number, FieldError(f"row {number}.external_id", message)))
    if errors:
        raise ValidationFailed(_cap(errors, rows=total))
    return valid


def _id_ranges(ids: Sequence[int]) -> list[list[int]]:
    """[1, 2, 3, 7] → [[1, 3], [7, 7]]: which customers an import made, in a few numbers."""
    ranges: list[list[int]] = []
    for customer_id in sorted(ids):
        if ranges and customer_id == ranges[-1][1] + 1:
            ranges[-1][1] = customer_id
        else:
            ranges.append([customer_id, customer_id])
    return ranges


def _complete(
    fields: dict[str, object],
    *,
    company_ids: Mapping[str, int | None],
    now: datetime,
) -> None:
    """Fill in what a file leaves out: the company link and defaults."""
    if isinstance(company_name := fields.get("company_name"), str):
        fields["company_id"] = company_ids.get(company_name)
    fields.setdefault("source", IMPORT_SOURCE)
    fields.setdefault("created_at", now)
    if isinstance(stage := fields.get("stage"), Stage) and not stage.is_open:
        fields.setdefault("closed_at", now)


def import_customers(
    *,
    uow: UnitOfWork,
    table: ImportTable,
    actor: Actor,
    now: datetime,
    mapping: Mapping[str, str | None] | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    zone: tzinfo | None = None,
) -> ImportSummary:
    """Validate every row of ``table`` and store them all as new, unowned customers — or none.

    ``mapping`` (header → field, or None to skip a column) overrides the guessed columns.
    Dates without a time zone are read in ``zone`` (default: the zone of ``now``).
    Runs inside the caller's ``with uow:``; the caller commits. ``dry_run`` only validates.
    """
    if not table.rows:
        raise ValidationFailed.one("file", f"{table.name!r} has a header but no rows under it")
    columns = _resolve_columns(table, mapping, uow.custom_fields.all())
    rows = _validate_rows(uow, table, columns, progress, zone or now.tzinfo or UTC)
    company_ids = {c.name: c.id for c in uow.companies.all()}
    for fields in rows:
        _complete(fields, company_ids=company_ids, now=now)
    summary = ImportSummary(
        file_name=table.name,
        rows=len(rows),
        imported=0,
        dry_run=dry_run,
        columns=dict(columns),
        ignored_columns=[h for h in table.headers if h not in columns],
        unknown_companies=sum("company_name" in f and f["company_id"] is None for f in rows),
        customer_ids=[],
    )
    if dry_run:
        return summary
    customers = [Customer(**fields, updated_at=now) for fields in rows]  # type: ignore[arg-type]
    uow.customers.add_many(customers)
    ids = [c.id for c in customers if c.id is not None]
    summary = dataclasses.replace(summary, imported=len(customers), customer_ids=ids)
    # One entry for the whole file, not one per customer: it names the file, the counts
    # and the ids made (as ranges), which is what undoing or explaining an import needs.
    after = {
        "file": table.name,
        "rows": summary.rows,
        "imported": summary.imported,
        "customer_ids": _id_ranges(ids),
        "columns": summary.columns,
        "ignored_columns": summary.ignored_columns,
    }
    uow.audit.add(
        AuditEntry(
            actor=actor.name,
            action="import",
            object_type="customer",
            object_id=table.name[:100],
            at=now,
            after=after,
        )
    )
    return summary
