"""销售管理: the reps one may see, with a form to add one (admin) and a switch to stop or
resume a rep's intake (admin, or the rep's manager: ``services.org`` decides).

Editing a rep's whole profile is the rep page's (``/reps/{id}``, ``pages_org``); this page
lists, adds and deactivates. A manager sees only the reps in the teams they manage.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.org import SKILL_KINDS
from fenpei.domain.users import Actor, Role, User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID
from fenpei.services import org, scope
from fenpei.services.ports import UnitOfWork
from fenpei.services.rep_status import rep_statuses
from fenpei.services.scope import require_admin
from fenpei.web._admin_forms import posted, refuse
from fenpei.web._org_forms import FormState, read_rep_form
from fenpei.web.i18n import translator
from fenpei.web.pages_admin_teams import tree_order
from fenpei.web.rendering import page_language, render

router = APIRouter(prefix="/admin", include_in_schema=False)
RepId = Annotated[int, Path(ge=1, le=MAX_ID)]
# What the add form asks; the rest (hours, time zone, tags …) is edited on the rep's page.
NEW_REP_FIELDS = ("name", "email", "team_id", "max_open", "max_per_day", "weight", "skills")
DONE = frozenset({"created", "deactivated", "activated"})


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    actor: Actor,
    now: datetime,
    *,
    team_id: int | None = None,
    form: FormState | None = None,
    done: str | None = None,
    created: int | None = None,
    status_code: int = 200,
) -> Response:
    scope.require_overseer(actor, "manage reps")
    visible = scope.data_scope(uow=uow, actor=actor)
    teams = uow.teams.all()
    reps = [
        r
        for r in sorted(uow.reps.all(), key=lambda r: r.name)
        if visible.covers_rep(r) and (team_id is None or r.team_id == team_id)
    ]
    context = {
        "user": user,
        "active": "admin",
        "reps": reps,
        "statuses": rep_statuses(uow=uow, reps=reps, now=now) if reps else {},
        "team_names": {t.id: t.name for t in teams},
        "team_rows": [(t, d) for t, d in tree_order(teams) if visible.covers_team(t.id)],
        "team_id": team_id,
        "may_create": actor.is_admin,
        "may_switch": actor.role in (Role.admin, Role.manager),
        "form": form or FormState(values={"weight": "1"}),
        "skill_kinds": SKILL_KINDS,
        "done": done if done in DONE else None,
        "created": uow.reps.get(created) if created else None,
    }
    return render(request, "admin/reps.html", context, status_code=status_code)


@router.get("/reps")
def reps_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    team_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
    created: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """销售管理: the reps in one's scope (optionally one team), their state and team."""
    return _page(
        request, uow, user, actor, fenpei.now(), team_id=team_id, done=done, created=created
    )


@router.post("/reps")
async def create_rep(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep
) -> Response:
    """Add a rep; a refused form comes back with its errors next to the fields (422)."""
    t = translator(page_language(request))
    values = await posted(request)
    fields, state = read_rep_form(values, NEW_REP_FIELDS, t)
    fields = {k: v for k, v in fields.items() if v is not None and v != {}}
    require_admin(actor, "add reps")
    if not state.errors:
        try:
            rep = org.create_rep(uow=uow, fields=fields, actor=actor, now=fenpei.now())
            uow.commit()
            return RedirectResponse(f"/admin/reps?done=created&created={rep.id}", status_code=303)
        except ValidationFailed as exc:
            refuse(state, exc, t)
        uow.rollback()
    return _page(request, uow, user, actor, fenpei.now(), form=state, status_code=422)


@router.post("/reps/{rep_id}/active")
async def switch_active(
    request: Request, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep, rep_id: RepId
) -> Response:
    """停用 / 启用: a deactivated rep gets no customers and leaves the pickers."""
    active = (await posted(request)).get("active") == "true"
    org.update_rep(uow=uow, rep_id=rep_id, fields={"active": active}, actor=actor, now=fenpei.now())
    uow.commit()
    done = "activated" if active else "deactivated"
    return RedirectResponse(f"/admin/reps?done={done}#rep-{rep_id}", status_code=303)
