"""Exports: ``GET /api/v1/exports/{kind}?format=csv|xlsx&…`` streams a CSV or Excel file."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import Field

from fenpei.api.routes.customers import _aware, customer_query
from fenpei.api.schemas import CustomerFilters, ErrorRead
from fenpei.config import Language
from fenpei.domain.errors import ValidationFailed
from fenpei.http.deps import CurrentActor, FenpeiDep, UowDep
from fenpei.http.exports import export_response, export_words_factory
from fenpei.http.fields import BoundedDateTime, EmptyIsNone, Id
from fenpei.services.exports.kinds import ExportFormat, ExportKind
from fenpei.services.exports.ports import RecordFilter
from fenpei.services.exports.service import ExportRequest, start_export

router = APIRouter(prefix="/exports", tags=["exports"])
_FILE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
        },
        "description": "The file (Content-Disposition names it; X-Export-Rows counts its rows).",
    },
    404: {"model": ErrorRead, "description": "A path that names no export."},
    403: {
        "model": ErrorRead,
        "description": "Exports are off for reps, or a report you may not read.",
    },
}


class ExportFilters(CustomerFilters):
    """The customer list's filters (customers; its sort and page are ignored), the time
    range and rep of history rows (assignments, follow-ups, tasks), and the file."""

    format: Annotated[ExportFormat, EmptyIsNone] = ExportFormat.csv
    lang: Annotated[str | None, EmptyIsNone] = Field(
        None, max_length=10, description="zh-CN or en (default: the configured language)."
    )
    columns: Annotated[str | None, EmptyIsNone] = Field(
        None,
        max_length=300,
        description="Customer columns, comma-separated (default: the list's own): id, name, "
        "company, phone, email, region, industry, level, stage, grade, score, owner, team, "
        "source, created_at, assigned_at.",
    )
    since: Annotated[BoundedDateTime | None, EmptyIsNone] = None
    until: Annotated[BoundedDateTime | None, EmptyIsNone] = None
    rep_id: Annotated[Id | None, EmptyIsNone] = None


@router.get("/{kind}", response_class=StreamingResponse, responses=_FILE)
def export(
    kind: Annotated[ExportKind, Path(description="What to export.")],
    filters: Annotated[ExportFilters, Query()],
    request: Request,
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> StreamingResponse:
    """Export what you may see as CSV (UTF-8 with BOM) or Excel, streamed; audited."""
    zone = fenpei.settings.zone
    language = _language(filters.lang) or fenpei.settings.language
    words = export_words_factory(request)(uow, language, zone)
    since, until = _aware(filters.since, zone, "since"), _aware(filters.until, zone, "until")
    if since and until and until <= since:
        raise ValidationFailed.one("until", "must be after since")
    given: dict[str, Any] = filters.model_dump(exclude_defaults=True, exclude={"format", "lang"})
    export_request = ExportRequest(
        kind=kind,
        fmt=filters.format,
        query=customer_query(filters, zone),
        records=RecordFilter(since=since, until=until, rep_id=filters.rep_id),
        columns=[c.strip() for c in filters.columns.split(",")] if filters.columns else None,
        params={key: str(value) for key, value in given.items()},
    )
    started = start_export(
        uows=fenpei.uow,
        actor=actor,
        request=export_request,
        words=words,
        now=fenpei.now(),
        reps_default=fenpei.settings.export_by_reps,
    )
    return export_response(started)


def _language(value: str | None) -> Language | None:
    if value is None:
        return None
    for language in Language:
        if value.strip().casefold() == language.value.casefold():
            return language
    raise ValidationFailed.one("lang", f"{value[:20]!r} is not one of zh-CN, en")
