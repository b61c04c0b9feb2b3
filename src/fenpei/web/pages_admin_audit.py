"""审计日志 (admin, auditor): who changed what and when, filtered by actor, object, action
and days, newest first, in pages. ``services.audit_log`` reads and refuses everyone else.

Days are read in the configured time zone: "from" is the start of that day, "to" the end.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import StringConstraints

from fenpei.config import Language
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.http.fields import EmptyIsNone, FilterText
from fenpei.services.audit_log import AuditFilter, find_entries
from fenpei.web._form_values import form_day
from fenpei.web.i18n import catalog, translator
from fenpei.web.rendering import page_language, render

router = APIRouter(prefix="/admin", include_in_schema=False)
PER_PAGE = 50


def worded(prefix: str) -> tuple[str, ...]:
    """What a filter select offers: every value the catalogs have words for under
    ``prefix`` (an action or object type without words still filters, typed in the URL)."""
    return tuple(
        sorted(k.removeprefix(prefix) for k in catalog(Language.en) if k.startswith(prefix))
    )


MAX_PAGE = 1000
Text = Annotated[FilterText | None, EmptyIsNone, Query()]
Day = Annotated[Annotated[str, StringConstraints(max_length=10)] | None, EmptyIsNone, Query()]


@router.get("/audit")
def audit_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    who: Text = None,
    object_type: Text = None,
    object_id: Text = None,
    action: Text = None,
    since: Day = None,
    until: Day = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    """审计日志: the entries matching the filters, 50 to a page, newest first."""
    t = translator(page_language(request))
    zone = fenpei.settings.zone
    errors: dict[str, str] = {}
    bounds: dict[str, datetime | None] = {}
    for name, text, shift in (("since", since, 0), ("until", until, 1)):
        day = form_day(text)
        if isinstance(day, str):
            errors[name] = t("admin.error.day")
            day = None
        bounds[name] = (
            None
            if day is None
            else datetime.combine(day + timedelta(days=shift), time(), tzinfo=zone)
        )
    if bounds["since"] and bounds["until"] and bounds["until"] <= bounds["since"]:
        errors["until"] = t("admin.audit.until_before_since")
        bounds["until"] = None
    where = AuditFilter(
        actor=who,
        object_type=object_type,
        object_id=object_id,
        action=action,
        since=bounds["since"],
        until=bounds["until"],
    )
    found = find_entries(uow=uow, actor=actor, where=where, page=page, per_page=PER_PAGE)
    values = {
        "who": who or "",
        "object_type": object_type or "",
        "object_id": object_id or "",
        "action": action or "",
        "since": since or "",
        "until": until or "",
    }
    query = {k: v for k, v in values.items() if v}
    context = {
        "user": user,
        "active": "admin",
        "found": found,
        "values": values,
        "errors": errors,
        "object_types": worded("admin.audit.object."),
        "actions": worded("admin.audit.action."),
        "page_link": lambda number: "/admin/audit?" + urlencode({**query, "page": number}),
    }
    return render(request, "admin/audit.html", context, status_code=422 if errors else 200)
