"""`fenpei import customers`: the column mapping (``--map``, ``--mapping``, ``--source``) and
skipping bad rows into an error file (``--skip-bad-rows``, ``--errors-to``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from pathlib import Path, PurePath

from fenpei.adapters.files import tabular
from fenpei.adapters.files._csv import open_csv
from fenpei.adapters.files.uploads import TabularFiles
from fenpei.cli._errors import BadArgument
from fenpei.cli._files import read_text
from fenpei.domain.errors import ValidationFailed
from fenpei.services._import_columns import resolve_columns
from fenpei.services.imports import mapping as mappings
from fenpei.services.imports.checking import RowCheck, bad_rows_with_errors, check_rows
from fenpei.services.imports.running import ERROR_HEADER
from fenpei.services.ports import UnitOfWork

Mapping_ = dict[str, str | None]


def chosen_mapping(
    uow: UnitOfWork,
    headers: Sequence[str],
    *,
    pairs: list[str],
    mapping_file: tuple[Path, str] | None,
    source: str | None,
) -> Mapping_ | None:
    """The mapping to import with: the source's remembered one (with ``--source``), then
    the ``--mapping`` file's (its path and text), then each ``--map``; None when none is
    given (the columns are guessed)."""
    if not pairs and mapping_file is None and not source:
        return None
    custom_fields = uow.custom_fields.all()
    chosen: Mapping_ = {}
    if source:
        try:
            chosen, _ = mappings.suggest(uow, headers, source=source)
        except ValidationFailed as exc:
            raise BadArgument("--source", str(exc)) from None
    if mapping_file is not None:
        path, text = mapping_file
        try:
            chosen |= mappings.parse_json(text, custom_fields)
        except ValidationFailed as exc:
            raise BadArgument("--mapping", str(exc), path=path) from None
    if pairs:
        try:
            chosen |= mappings.parse_pairs(pairs, custom_fields)
        except ValidationFailed as exc:
            raise BadArgument("--map", str(exc)) from None
    return chosen


def read_mapping_file(path: Path | None) -> tuple[Path, str] | None:
    """The ``--mapping`` file's text, read (bounded, UTF-8) and parsed as JSON before
    anything else, so a bad one is named first."""
    if path is None:
        return None
    text = read_text(path, argument="--mapping")
    try:
        mappings.parse_json(text, [], check_targets=False)
    except ValidationFailed as exc:
        raise BadArgument("--mapping", str(exc), path=path) from None
    return path, text


def errors_path(value: str | None) -> Path | None:
    """Where ``--errors-to`` writes, checked before the import: not a folder, in a folder
    that exists."""
    if value is None:
        return None
    path = Path(value)
    if path.is_dir():
        raise BadArgument("--errors-to", "is a folder; name a file", path=path)
    if not path.parent.is_dir():
        raise BadArgument("--errors-to", "is in a folder that does not exist", path=path)
    return path


def check_each_row(
    uow: UnitOfWork, table: tabular.StreamedTable, mapping: Mapping_ | None, *, zone: tzinfo
) -> RowCheck:
    """Every row checked, the bad ones kept with their problems (``row N.field``)."""
    custom_fields = uow.custom_fields.all()
    columns = resolve_columns(table.headers, mapping, custom_fields)
    return check_rows(uow, table, columns, zone=zone, custom_fields=custom_fields, preview_rows=0)


def default_errors_path(file: Path) -> Path:
    suffix = file.suffix.lower()
    kept = ".xlsx" if suffix in tabular.XLSX_SUFFIXES else (suffix or ".csv")
    return file.with_name(f"{file.stem}-errors{kept}")


def write_error_file(
    file: Path, table: tabular.StreamedTable, check: RowCheck, errors_to: Path, *, encoding: str
) -> None:
    """The bad rows with the file's columns and an error column, in the file's format
    (a CSV as UTF-8 with BOM, with the file's delimiter)."""
    delimiter = None
    if PurePath(table.name).suffix.lower() not in tabular.XLSX_SUFFIXES:
        delimiter = open_csv(file, name=table.name, encoding=encoding).delimiter
    _, data = TabularFiles().error_file(
        errors_to.name,
        table.headers,
        bad_rows_with_errors(table, check.bad),
        error_header=ERROR_HEADER,
        delimiter=delimiter,
    )
    try:
        errors_to.write_bytes(data)
    except OSError as exc:
        raise BadArgument("--errors-to", exc.strerror or str(exc), path=errors_to) from None
