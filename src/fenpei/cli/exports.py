"""`fenpei export KIND --format csv|xlsx --out FILE [--filter key=value …]`: write an export.

The same service as the pages and the API: the file is written a batch at a time, the
export is audited. Without ``--as`` the command acts as the system (an admin: everything);
with ``--as USER`` it exports what that user may see.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from fenpei.adapters.exports import encode
from fenpei.cli._common import console, fenpei_app
from fenpei.cli._errors import BadArgument
from fenpei.cli._words import LangOption
from fenpei.config import Language
from fenpei.domain.customers import Stage
from fenpei.domain.errors import NotFound, ValidationFailed
from fenpei.domain.users import SYSTEM, Actor
from fenpei.services.exports.kinds import ExportFormat, ExportKind
from fenpei.services.exports.service import ExportRequest, start_export
from fenpei.web._customer_list import ListFilters
from fenpei.web._export_words import export_words
from fenpei.web.i18n import parse_language

FILTERS = ("q", "owner", "team_id", "stage", "level", "region", "industry", "source",
           "created_from", "created_to")  # fmt: skip


def export(
    kind: Annotated[
        str, typer.Argument(help="What to export: " + ", ".join(k.value for k in ExportKind))
    ],
    out: Annotated[
        str, typer.Option("--out", "-o", help="The file to write (replaced if it exists).")
    ],
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="csv or xlsx.")] = (
        ExportFormat.csv
    ),
    filter: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help="A customer-list filter, key=value (repeatable): " + ", ".join(FILTERS) + ".",
        ),
    ] = None,
    columns: Annotated[
        str | None, typer.Option(help="Customer columns, comma-separated (default: the list's).")
    ] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Export what this user may see (default: all).")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Export customers (the list's filter and columns), history, tasks or a report."""
    filters = _filters(filter or [])
    target = _output(out)
    with fenpei_app() as fenpei:  # first: a database without the schema says so
        wanted = _kind(kind)
        language = parse_language(lang) if lang else fenpei.settings.language
        if language is None:
            raise ValidationFailed.one("lang", f"{lang!r} is not one of zh-CN, en")
        with fenpei.uow(read_only=True) as uow:
            actor = _actor(uow, as_user)
            words = export_words(uow, Language(language), fenpei.settings.zone)
        started = start_export(
            uows=fenpei.uow,
            actor=actor,
            request=ExportRequest(
                kind=wanted,
                fmt=format,
                query=filters.query(fenpei.settings.zone),
                columns=[c.strip() for c in columns.split(",")] if columns else None,
                params=filters.filter_params(),
            ),
            words=words,
            now=fenpei.now(),
            reps_default=fenpei.settings.export_by_reps,
        )
        chunks = encode(
            format, sheet=started.sheet, headers=started.headers, batches=started.batches
        )
        _write(target, chunks)
    console.print(f"exported {started.rows} {wanted.value} rows to {out}")


def _kind(kind: str) -> ExportKind:
    try:
        return ExportKind(kind.strip())
    except ValueError:
        known = ", ".join(k.value for k in ExportKind)
        raise BadArgument("KIND", f"{kind[:40]!r} is not one of {known}") from None


def _output(out: str) -> Path:
    """Where to write: a new or regular file in an existing folder (checked before any
    work; a directory, a pipe or a device is refused, never opened)."""
    path = Path(out)
    if "\x00" in out or not out.strip():
        raise BadArgument("--out", "is not a valid path", path=path)
    if not path.parent.is_dir():
        raise BadArgument("--out", "its folder does not exist", path=path)
    if path.exists() and not path.is_file():
        raise BadArgument("--out", "exists and is not a regular file", path=path)
    return path


def _write(path: Path, chunks: Iterable[bytes]) -> None:
    """Write to a temporary file beside ``path``, then put it in place: an export that
    fails halfway leaves no half file and the previous one untouched."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with partial.open("wb") as file:
            for chunk in chunks:
                file.write(chunk)
        os.replace(partial, path)
    except OSError as exc:
        problem = f"cannot be written: {exc.strerror or exc}"
        raise BadArgument("--out", problem, path=path) from None
    finally:
        partial.unlink(missing_ok=True)


def _actor(uow: object, username: str | None) -> Actor:
    if username is None:
        return SYSTEM
    user = uow.users.by_username(username.strip())  # type: ignore[attr-defined]
    if user is None or not user.active:
        raise NotFound("user", username)
    return Actor(user.username, user.role, user_id=user.id, rep_id=user.rep_id)


def _filters(pairs: list[str]) -> ListFilters:
    """``key=value`` pairs as the customer list's filter; a bad one names its key."""
    given: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or key not in FILTERS:
            raise ValidationFailed.one(
                "filter", f"{pair!r}: expected key=value, key one of {', '.join(FILTERS)}"
            )
        try:
            if key == "team_id":
                given[key] = int(value)
            elif key == "stage":
                given[key] = Stage(value.strip())
            elif key in ("created_from", "created_to"):
                given[key] = date.fromisoformat(value.strip())
            else:
                given[key] = value.strip()
        except ValueError:
            raise ValidationFailed.one(key, f"{value[:40]!r} is not a valid {key}") from None
    return ListFilters(**given)  # type: ignore[arg-type]
