"""Exports from the browser: the customer list as filtered, and the other tables (导出).

``/exports/customers?format=csv&<the list's filters>`` downloads what the list shows (the
link sits on the list and follows its filter); ``/exports`` lists the other exports.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.customers import Stage
from fenpei.domain.errors import ValidationFailed
from fenpei.http.deps import CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.exports import export_response
from fenpei.http.fields import BoundedDate, EmptyIsNone, FilterText, Id
from fenpei.services.exports import settings
from fenpei.services.exports.kinds import REPORTS, ExportFormat, ExportKind
from fenpei.services.exports.ports import RecordFilter
from fenpei.services.exports.service import ExportRequest, may_export, start_export
from fenpei.web._customer_list import ListFilters
from fenpei.web._export_words import export_words
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
Text = Annotated[FilterText | None, EmptyIsNone, Query()]
Format = Annotated[ExportFormat, Query()]


@router.get("/exports")
def exports_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    saved: Annotated[bool, Query()] = False,
) -> Response:
    """导出: every export but the customer list's (which is on the list, with its filter);
    for an admin, whether reps may export."""
    actor = actor_of(user)
    reps_allowed = settings.reps_may_export(uow=uow, default=fenpei.settings.export_by_reps)
    kinds = [k for k in ExportKind if k is not ExportKind.customers]
    if actor.role.value not in ("admin", "manager"):
        kinds = [k for k in kinds if k not in REPORTS]
    context = {
        "user": user,
        "active": "exports",
        "kinds": kinds,
        "reports": REPORTS,
        "formats": list(ExportFormat),
        "allowed": may_export(actor, reps_may_export=reps_allowed),
        "reps_allowed": reps_allowed,
        "saved": saved,
    }
    return render(request, "exports/index.html", context)


@router.post("/exports/settings")
def save_settings(
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    reps_may_export: Annotated[bool, Form()] = False,
) -> Response:
    """An admin lets reps export their own customers, or stops them."""
    settings.set_reps_may_export(
        uow=uow, actor=actor_of(user), value=reps_may_export,
        default=fenpei.settings.export_by_reps, now=fenpei.now(),
    )  # fmt: skip
    uow.commit()
    return RedirectResponse("/exports?saved=true", status_code=303)


@router.get("/exports/customers")
def export_customers(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    format: Format = ExportFormat.csv,
    q: Text = None,
    owner: Annotated[str, Query(max_length=20)] = "",
    team_id: Annotated[Id | None, EmptyIsNone, Query()] = None,
    stage: Annotated[Stage | None, EmptyIsNone, Query()] = None,
    level: Text = None,
    region: Text = None,
    industry: Text = None,
    source: Text = None,
    created_from: Annotated[BoundedDate | None, EmptyIsNone, Query()] = None,
    created_to: Annotated[BoundedDate | None, EmptyIsNone, Query()] = None,
) -> Response:
    """The customer list as filtered (the same parameters as /customers), as a file."""
    filters = ListFilters(
        q=q or "",
        owner=owner,
        team_id=team_id,
        stage=stage,
        level=level or "",
        region=region or "",
        industry=industry or "",
        source=source or "",
        created_from=created_from,
        created_to=created_to,
    )
    zone = fenpei.settings.zone
    request_ = ExportRequest(
        kind=ExportKind.customers,
        fmt=format,
        query=filters.query(zone),
        params=filters.filter_params(),
    )
    return _stream(request, uow, user, fenpei, request_)


@router.get("/exports/{kind}")
def export_other(
    kind: ExportKind,
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    format: Format = ExportFormat.csv,
    since: Annotated[BoundedDate | None, EmptyIsNone, Query()] = None,
    until: Annotated[BoundedDate | None, EmptyIsNone, Query()] = None,
) -> Response:
    """Assignment history, follow-ups, tasks or a report, as far as the user may see;
    history from ``since`` through ``until`` (whole days in the configured zone)."""
    if since and until and until < since:
        raise ValidationFailed.one("until", "must not be before since")
    zone = fenpei.settings.zone
    records = RecordFilter(since=_day(since, zone), until=_day(until, zone, after=1))
    params = {k: v.isoformat() for k, v in (("since", since), ("until", until)) if v}
    wanted = ExportRequest(kind=kind, fmt=format, records=records, params=params)
    return _stream(request, uow, user, fenpei, wanted)


def _day(day: date | None, zone: tzinfo, *, after: int = 0) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=after), time(), tzinfo=zone).astimezone(UTC)


def _stream(
    request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep, wanted: ExportRequest
) -> Response:
    words = export_words(uow, page_language(request), fenpei.settings.zone)
    started = start_export(
        uows=fenpei.uow,
        actor=actor_of(user),
        request=wanted,
        words=words,
        now=fenpei.now(),
        reps_default=fenpei.settings.export_by_reps,
    )
    return export_response(started)
