"""Reading the Maven CRM export (four CSV files) into plain rows with their line numbers."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.services.maven_import import MavenData, Row

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "sales_teams.csv": ("sales_agent", "manager", "regional_office"),
    "accounts.csv": (
        "account",
        "sector",
        "year_established",
        "revenue",
        "employees",
        "office_location",
        "subsidiary_of",
    ),
    "products.csv": ("product", "series", "sales_price"),
    "sales_pipeline.csv": (
        "opportunity_id",
        "sales_agent",
        "product",
        "account",
        "deal_stage",
        "engage_date",
        "close_date",
        "close_value",
    ),
}


def _read(path: Path, errors: list[FieldError]) -> str | None:
    if not path.is_file():
        errors.append(FieldError(path.name, f"file not found in {path.parent}"))
        return None
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        errors.append(FieldError(path.name, f"is not UTF-8 (bad byte at offset {exc.start})"))
        return None


def _rows(name: str, text: str, required: tuple[str, ...], errors: list[FieldError]) -> list[Row]:
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    if missing := [c for c in required if c not in header]:
        errors.append(
            FieldError(
                f"{name}.columns", f"missing {', '.join(missing)} (found: {', '.join(header)})"
            )
        )
        return []
    rows: list[Row] = []
    for row in reader:
        values = {
            (k or "").strip(): (v or "").strip() for k, v in row.items() if not isinstance(v, list)
        }
        if any(values.values()):
            rows.append((reader.line_num, values))
    return rows


def _tables(texts: Mapping[str, str | None], errors: list[FieldError]) -> MavenData:
    tables = [
        _rows(name, text, columns, errors) if (text := texts.get(name)) is not None else []
        for name, columns in REQUIRED_COLUMNS.items()
    ]
    if errors:
        raise ValidationFailed(errors)
    return MavenData(*tables)


def parse_maven(texts: Mapping[str, str]) -> MavenData:
    """The four files' texts, by file name, as rows; a missing column is reported for all
    files at once."""
    return _tables(texts, [])


def read_maven(directory: Path) -> MavenData:
    """Read the four files; a missing file or column is reported for all files at once."""
    errors: list[FieldError] = []
    return _tables({name: _read(directory / name, errors) for name in REQUIRED_COLUMNS}, errors)
