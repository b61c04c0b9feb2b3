"""`fenpei export KIND --format csv|xlsx --out FILE [--filter key=value …]`: write an export.

The same service as the pages and the API: the file is written a batch at a time, the
export is audited. Without ``--as`` the command acts as the system (an admin: everything);
with ``--as USER`` it exports what that user may see.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from fenpei.adapters.exports import encode
from fenpei.cli._common import console, fenpei_app
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
    kind: Annotated[ExportKind, typer.Argument(help="What to export.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The file to write.")],
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
    with fenpei_app() as fenpei:
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
                kind=kind,
                fmt=format,
                query=filters.query(fenpei.settings.zone),
                columns=[c.strip() for c in columns.split(",")] if columns else None,
                params=filters.filter_params(),
            ),
            words=words,
            now=fenpei.now(),
            reps_may_export=fenpei.settings.export_by_reps,
        )
        chunks = encode(
            format, sheet=started.sheet, headers=started.headers, batches=started.batches
        )
        with out.open("wb") as file:
            for chunk in chunks:
                file.write(chunk)
    console.print(f"exported {started.rows} {kind.value} rows to {out}")


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
