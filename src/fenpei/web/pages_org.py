"""The org pages: the team tree with everyone's load, and a rep's profile with its forms.

Who may change what is the services' decision (``services.org``): an admin everything, the
rep's manager availability, capacity, skills, weight, hours and leave, the rep their own
away switch. The page only shows the forms a user can use.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.org import SKILL_KINDS
from fenpei.domain.users import Actor, Role, User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID
from fenpei.services import analytics, org
from fenpei.services._org_fields import WEEKDAYS
from fenpei.services.ports import UnitOfWork
from fenpei.web._org_forms import ADMIN_ONLY, SHARED, FormState, read_leave_form, read_rep_form
from fenpei.web._org_forms import rep_values as form_values
from fenpei.web.i18n import translator
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
RepId = Annotated[int, Path(ge=1, le=MAX_ID)]
LeaveId = Annotated[int, Path(ge=1, le=MAX_ID)]
COMMON_ZONES = (
    "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
    "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "UTC",
)  # fmt: skip


@router.get("/teams")
def teams_page(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep
) -> Response:
    """团队: the team tree, each team with its manager, reps and their load."""
    chart = analytics.org_chart(uow=uow, actor=actor, now=fenpei.now())
    context = {
        "user": user,
        "active": "teams",
        "chart": chart,
        "default_capacity": chart.default_capacity,
    }
    return render(request, "org/teams.html", context)


def _editable(actor: Actor, in_scope: bool) -> tuple[str, ...]:
    if actor.is_admin:
        return (*ADMIN_ONLY, *SHARED)
    if actor.role is Role.manager and in_scope:
        return SHARED
    return ()


def _rep_page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    actor: Actor,
    fenpei: Fenpei,
    rep_id: int,
    *,
    form: FormState | None = None,
    leave_form: FormState | None = None,
    saved: str | None = None,
    status_code: int = 200,
) -> Response:
    view = org.view_rep(uow=uow, rep_id=rep_id, actor=actor, now=fenpei.now())
    rep, in_scope = view.rep, view.usage is not None
    try:
        leaves = org.list_leaves(uow=uow, rep_id=rep_id, actor=actor)
    except NotFound:
        leaves = None
    editable = _editable(actor, in_scope)
    keeps_leave = actor.is_admin or (actor.role is Role.manager and in_scope)
    team = uow.teams.get(rep.team_id) if rep.team_id else None
    context = {
        "user": user,
        "active": "teams",
        "rep": rep,
        "team": team,
        "line": analytics.RepLoadLine(rep, view.usage, view.status),
        "default_capacity": view.default_capacity,
        "leaves": leaves,
        "editable": editable,
        "keeps_leave": keeps_leave,
        "toggles_away": bool(editable) or (actor.rep_id == rep.id and actor.rep_id is not None),
        "teams": sorted(uow.teams.all(), key=lambda t: t.name) if "team_id" in editable else [],
        "form": form or FormState(values=form_values(rep)),
        "leave_form": leave_form or FormState(),
        "skill_kinds": SKILL_KINDS,
        "weekdays": WEEKDAYS,
        "zones": COMMON_ZONES,
        "zone_name": fenpei.settings.time_zone,
        "saved": saved,
    }
    return render(request, "org/rep.html", context, status_code=status_code)


@router.get("/reps/{rep_id}")
def rep_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    rep_id: RepId,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """销售人员: a rep's profile, load and leave, with the forms this user may use."""
    return _rep_page(request, uow, user, actor, fenpei, rep_id, saved=saved)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


@router.post("/reps/{rep_id}")
async def update_rep(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    rep_id: RepId,
) -> Response:
    """Save the profile form; a refused one comes back with its errors (422)."""
    view = org.view_rep(uow=uow, rep_id=rep_id, actor=actor, now=fenpei.now())
    editable = _editable(actor, view.usage is not None)
    t = translator(page_language(request))
    fields, state = read_rep_form(await _form(request), editable or SHARED, t)
    if not editable:  # the service refuses (403, or 404 outside one's scope) before checking
        org.update_rep(uow=uow, rep_id=rep_id, fields=fields, actor=actor, now=fenpei.now())
    if not state.errors:
        try:
            org.update_rep(uow=uow, rep_id=rep_id, fields=fields, actor=actor, now=fenpei.now())
            uow.commit()
            return RedirectResponse(f"/reps/{rep_id}?saved=profile", status_code=303)
        except ValidationFailed as exc:
            uow.rollback()
            state.refuse(exc, t)
    return _rep_page(request, uow, user, actor, fenpei, rep_id, form=state, status_code=422)


@router.post("/reps/{rep_id}/away")
async def switch_away(
    request: Request, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep, rep_id: RepId
) -> Response:
    """暂停接单: switch the rep's away flag (the rep themself, their manager, an admin)."""
    away = (await _form(request)).get("away") == "true"
    org.update_rep(uow=uow, rep_id=rep_id, fields={"away": away}, actor=actor, now=fenpei.now())
    uow.commit()
    return RedirectResponse(f"/reps/{rep_id}?saved=away", status_code=303)


@router.post("/reps/{rep_id}/leaves")
async def add_leave(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    rep_id: RepId,
) -> Response:
    """Add a leave period, read in the configured time zone."""
    t = translator(page_language(request))
    leave, state = read_leave_form(await _form(request), fenpei.settings.zone, t)
    if not state.errors and leave.starts_at and leave.ends_at:
        try:
            org.add_leave(
                uow=uow, rep_id=rep_id, starts_at=leave.starts_at, ends_at=leave.ends_at,
                note=leave.note, actor=actor, now=fenpei.now(),
            )  # fmt: skip
            uow.commit()
            return RedirectResponse(f"/reps/{rep_id}?saved=leave#leave", status_code=303)
        except ValidationFailed as exc:
            uow.rollback()
            state.refuse(exc, t)
    else:
        # Refuse as the service would (permission and scope first), so a rep or an
        # outsider gets 403 / 404 rather than a form.
        org.list_leaves(uow=uow, rep_id=rep_id, actor=actor)
        if actor.role not in (Role.admin, Role.manager):
            raise PermissionDenied("only an admin or the rep's manager may change leave")
    return _rep_page(request, uow, user, actor, fenpei, rep_id, leave_form=state, status_code=422)


@router.post("/reps/{rep_id}/leaves/{leave_id}/delete")
def delete_leave(
    uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep, rep_id: RepId, leave_id: LeaveId
) -> Response:
    """Cancel a leave period (the page asks to confirm first)."""
    org.delete_leave(uow=uow, rep_id=rep_id, leave_id=leave_id, actor=actor, now=fenpei.now())
    uow.commit()
    return RedirectResponse(f"/reps/{rep_id}?saved=leave_deleted#leave", status_code=303)
