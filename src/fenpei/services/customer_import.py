"""Importing customers from a file's rows (CSV / Excel): every row is valid, or nothing is written.

Columns are matched to customer fields by English or Chinese names (``姓名``, ``手机``,
``客户等级`` …) or by an explicit mapping; custom attributes match their key or label.
Imported customers have no owner: routing them is a separate step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Protocol

from fenpei.domain.audit import AuditEntry
from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.limits import date_problem, text_problem
from fenpei.domain.users import Actor
from fenpei.services._import_columns import STAGE_ALIASES, resolve_columns
from fenpei.services._import_duplicates import DuplicateRows, duplicates_note
from fenpei.services._import_ids import SeenIds
from fenpei.services.categories import load_category_index
from fenpei.services.customers import validate_customer_fields
from fenpei.services.ports import UnitOfWork
from fenpei.services.scoring.rescore import load_scoring, rescore

MAX_LISTED_ERRORS = 100
IMPORT_SOURCE = "import"
_PROGRESS_EVERY = 100
_LOOKUP_CHUNK = 1000


class ImportTable(Protocol):
    """Rows read from a file: each pairs its row number in the file with header → cell text.
    ``rows`` may be read more than once (a streamed file is read again each time);
    ``count`` is how many there are."""

    @property
    def name(self) -> str: ...
    @property
    def headers(self) -> Sequence[str]: ...
    @property
    def rows(self) -> Iterable[tuple[int, Mapping[str, str]]]: ...
    @property
    def count(self) -> int: ...


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
    duplicate_rows: list[int] = dataclasses.field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        notes = [f"column {c!r} matches no customer field; ignored" for c in self.ignored_columns]
        if self.duplicate_rows:
            notes.append(duplicates_note(self.duplicate_rows))
        if self.unknown_companies:
            notes.append(
                f"{self.unknown_companies} row(s) name a company fenpei does not know; "
                "the company name is kept as text, unlinked"
            )
        return notes


# A spreadsheet-safe cell (an error file's, an export's) starts with "'" before a character
# a spreadsheet would run as a formula; the importer reads the value without it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def unguarded(value: str) -> str:
    """``'=1+1`` → ``=1+1``: a cell as it was before it was made spreadsheet-safe."""
    guarded = value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS)
    return value[1:] if guarded else value


def _row_fields(cells: Mapping[str, str], columns: Mapping[str, str]) -> dict[str, object]:
    raw: dict[str, object] = {}
    custom: dict[str, object] = {}
    for header, target in columns.items():
        value = unguarded(cells.get(header, "").strip())
        if target.startswith("custom."):
            custom[target.removeprefix("custom.")] = value
        elif value:
            raw[target] = STAGE_ALIASES.get(value, value) if target == "stage" else value
    if custom:
        raw["custom"] = custom
    return raw


def _cell_problems(
    cells: Mapping[str, str], columns: Mapping[str, str], prefix: str
) -> list[FieldError]:
    """Cells no database can store (NUL, a lone surrogate), named by the field they fill."""
    return [
        FieldError(prefix + target, problem)
        for header, target in columns.items()
        if (problem := text_problem(cells.get(header, "")))
    ]


def _date_problems(
    fields: Mapping[str, object], prefix: str, custom_fields: Sequence[CustomField]
) -> list[FieldError]:
    """Dates outside the range every page and report can show, custom attributes' too."""
    values = [(name, value) for name, value in fields.items() if isinstance(value, date)]
    custom = fields.get("custom")
    if isinstance(custom, Mapping):
        # Custom dates are kept as ISO text, already checked to be dates by the cleaner.
        kinds = {d.key: d.kind for d in custom_fields}
        values += [
            (f"custom.{key}", date.fromisoformat(value))
            for key, value in custom.items()
            if kinds.get(key) is FieldKind.date and isinstance(value, str)
        ]
    return [
        FieldError(prefix + name, problem)
        for name, value in values
        if (problem := date_problem(value))
    ]


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
    custom_fields: Sequence[CustomField],
    *,
    keep: bool = True,
    after_row: int = 0,
    company_names: Collection[str] = (),
    duplicates: DuplicateRows | None = None,
) -> tuple[list[dict[str, object]], int]:
    """Check every row (after the file's row ``after_row``): the valid rows' fields (only
    with ``keep``; a streamed import keeps none) and how many rows name a company not in
    ``company_names``. External ids are looked up a chunk at a time; so are phones and
    emails fed to ``duplicates`` (reported, not refused)."""
    categories = load_category_index(uow)
    total = table.count
    valid: list[dict[str, object]] = []
    errors: list[tuple[int, FieldError]] = []
    seen = SeenIds()  # every id, compactly: repeats in the file are found at the end
    chunk_rows: dict[str, int] = {}  # the ids waiting to be looked up, by first row
    taken: list[tuple[int, str, int]] = []  # (row, id, customer holding it)
    unknown_companies = 0

    def check_taken() -> None:
        found = uow.customers.ids_by_external_id(list(chunk_rows))
        taken.extend((chunk_rows[i], i, customer_id) for i, customer_id in found.items())
        chunk_rows.clear()

    for done, (number, cells) in enumerate(table.rows, start=1):
        if number <= after_row:
            continue
        prefix = f"row {number}."
        raw = _row_fields(cells, columns)
        unstorable = _cell_problems(cells, columns, prefix)
        try:
            if unstorable:
                raise ValidationFailed(unstorable)
            fields = validate_customer_fields(
                uow,
                raw,
                partial=False,
                prefix=prefix,
                categories=categories,
                custom_fields=custom_fields,
                zone=zone,
            )
            if out_of_range := _date_problems(fields, prefix, custom_fields):
                raise ValidationFailed(out_of_range)
            if keep:
                valid.append(fields)
            if duplicates is not None:
                duplicates.add(number, fields)
            company = fields.get("company_name")
            unknown_companies += isinstance(company, str) and company not in company_names
        except ValidationFailed as exc:
            errors += [(number, e) for e in exc.errors]
        external_id = raw.get("external_id")
        # An unstorable id is reported above; it cannot even be looked up.
        if isinstance(external_id, str) and not unstorable:
            seen.add(external_id, number)
            chunk_rows.setdefault(external_id, number)
            if len(chunk_rows) >= _LOOKUP_CHUNK:
                check_taken()
        if progress is not None and (done % _PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    check_taken()
    if duplicates is not None:
        duplicates.flush()
    repeats = seen.repeats(table.rows, lambda cells: _row_fields(cells, columns).get("external_id"))
    for number, external_id, first in repeats:
        message = f"{external_id!r} is also in row {first}"
        errors.append((number, FieldError(f"row {number}.external_id", message)))
    repeated = {number for number, _, _ in repeats}  # told once: the repeat, not the taken
    for number, external_id, customer_id in taken:
        if number not in repeated:
            message = f"{external_id!r} is already used by customer {customer_id}"
            errors.append((number, FieldError(f"row {number}.external_id", message)))
    if errors:
        raise ValidationFailed(_cap(errors, rows=total))
    return valid, unknown_companies


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
    if not table.count:
        raise ValidationFailed.one("file", f"{table.name!r} has a header but no rows under it")
    custom_fields = uow.custom_fields.all()
    columns = resolve_columns(table.headers, mapping, custom_fields)
    company_ids = {c.name: c.id for c in uow.companies.all()}
    duplicates = DuplicateRows(uow)
    rows, unknown = _validate_rows(
        uow,
        table,
        columns,
        progress,
        zone or now.tzinfo or UTC,
        custom_fields,
        company_names=company_ids,
        duplicates=duplicates,
    )
    for fields in rows:
        _complete(fields, company_ids=company_ids, now=now)
    summary = ImportSummary(
        file_name=table.name,
        rows=len(rows),
        imported=0,
        dry_run=dry_run,
        columns=dict(columns),
        ignored_columns=[h for h in table.headers if h not in columns],
        unknown_companies=unknown,
        customer_ids=[],
        duplicate_rows=duplicates.listed(),
    )
    if dry_run:
        return summary
    customers = [Customer(**fields, updated_at=now) for fields in rows]  # type: ignore[arg-type]
    scoring = load_scoring(uow=uow, custom_fields=custom_fields)
    rescore(uow=uow, customers=customers, now=now, scoring=scoring, created=True)
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
