"""Every row of a file checked, keeping each bad row's problems (not only the first
hundred): what the preview marks, what "skip bad rows" leaves out and the error file lists.

The checks are the importer's own (services/customer_import.py): the same cleaners,
unstorable text, dates out of range, external ids repeated in the file or already used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import Enum

from fenpei.domain.custom_fields import CustomField
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.services.categories import load_category_index
from fenpei.services.customer_import import (
    ImportTable,
    _cell_problems,
    _date_problems,
    _row_fields,
)
from fenpei.services.customers import validate_customer_fields
from fenpei.services.ports import UnitOfWork

_LOOKUP_CHUNK = 1000
PREVIEW_ROWS = 20


@dataclass(frozen=True)
class PreviewRow:
    """A row as it will be stored: field → shown value, and field → problem."""

    number: int
    values: dict[str, str]
    errors: dict[str, str]


@dataclass
class RowCheck:
    """The file's bad rows (row → its problems, ``row N.field``) and the first rows."""

    rows: int = 0
    bad: dict[int, list[FieldError]] = field(default_factory=dict)
    preview: list[PreviewRow] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len(self.bad)

    def first_errors(self, limit: int = 100) -> list[FieldError]:
        listed: list[FieldError] = []
        for number in sorted(self.bad):
            listed += self.bad[number]
            if len(listed) >= limit:
                break
        return listed[:limit]


def shown(value: object) -> str:
    """A cleaned value as the preview shows it."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return ", ".join(shown(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={shown(v)}" for k, v in value.items())
    return str(value)


def _field_of(error: FieldError, prefix: str) -> str:
    return error.field.removeprefix(prefix)


def check_rows(
    uow: UnitOfWork,
    table: ImportTable,
    columns: Mapping[str, str],
    *,
    zone: tzinfo,
    custom_fields: Sequence[CustomField],
    preview_rows: int = PREVIEW_ROWS,
) -> RowCheck:
    """Check every row of ``table``; keep the first ``preview_rows`` as they will be stored."""
    categories = load_category_index(uow)
    result = RowCheck()
    first_with: dict[str, int] = {}  # external id → first row holding it
    waiting: dict[str, int] = {}  # ids to look up in the database, by first row

    def look_up() -> None:
        for external_id, customer_id in uow.customers.ids_by_external_id(list(waiting)).items():
            number = waiting[external_id]
            message = f"{external_id!r} is already used by customer {customer_id}"
            result.bad.setdefault(number, []).append(
                FieldError(f"row {number}.external_id", message)
            )
        waiting.clear()

    for number, cells in table.rows:
        result.rows += 1
        prefix = f"row {number}."
        raw = _row_fields(cells, columns)
        problems = _cell_problems(cells, columns, prefix)
        fields: dict[str, object] = {}
        if not problems:
            try:
                fields = validate_customer_fields(
                    uow,
                    raw,
                    partial=False,
                    prefix=prefix,
                    categories=categories,
                    custom_fields=custom_fields,
                    zone=zone,
                )
                problems = _date_problems(fields, prefix, custom_fields)
            except ValidationFailed as exc:
                problems = list(exc.errors)
        external_id = raw.get("external_id")
        if isinstance(external_id, str) and not any(
            _field_of(e, prefix) == "external_id" for e in problems
        ):
            if external_id in first_with:
                message = f"{external_id!r} is also in row {first_with[external_id]}"
                problems.append(FieldError(f"{prefix}external_id", message))
            else:
                first_with[external_id] = number
                waiting[external_id] = number
                if len(waiting) >= _LOOKUP_CHUNK:
                    look_up()
        if problems:
            result.bad.setdefault(number, []).extend(problems)
        if len(result.preview) < preview_rows:
            values = {target: shown(raw.get(target, "")) for target in columns.values()}
            values |= {k: shown(v) for k, v in fields.items() if k in values}
            custom = fields.get("custom")
            if isinstance(custom, Mapping):
                values |= {f"custom.{k}": shown(v) for k, v in custom.items()}
            for target in columns.values():
                if target.startswith("custom.") and target not in values:
                    values[target] = cells.get(_header(columns, target), "")
            result.preview.append(PreviewRow(number, values, {}))
    look_up()
    result.preview = [
        PreviewRow(
            row.number,
            row.values,
            {_field_of(e, f"row {row.number}."): e.message for e in result.bad.get(row.number, [])},
        )
        for row in result.preview
    ]
    return result


def _header(columns: Mapping[str, str], target: str) -> str:
    return next((h for h, t in columns.items() if t == target), "")


@dataclass(frozen=True)
class GoodRows:
    """``table`` without the rows in ``bad``: what "skip bad rows" imports."""

    table: ImportTable
    bad: frozenset[int]

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def headers(self) -> Sequence[str]:
        return self.table.headers

    @property
    def count(self) -> int:
        return self.table.count - len(self.bad)

    @property
    def sha256(self) -> str:
        """The whole file's hash (an import job names its file by it)."""
        return str(getattr(self.table, "sha256", ""))

    @property
    def rows(self) -> Iterator[tuple[int, Mapping[str, str]]]:
        return (pair for pair in self.table.rows if pair[0] not in self.bad)


def bad_rows_with_errors(
    table: ImportTable, bad: Mapping[int, list[FieldError]]
) -> Iterable[tuple[Mapping[str, str], str]]:
    """The bad rows' cells with their problems as one text, in file order."""
    for number, cells in table.rows:
        if number in bad:
            yield cells, "; ".join(str(e) for e in bad[number])
