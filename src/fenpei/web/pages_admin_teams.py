"""团队管理 (admin): the teams as a tree, with forms to add, rename, move and delete them.

Only an admin changes teams (``services.org`` decides; a manager or rep who opens the page
gets 403). A refused form comes back with its errors next to the fields (422); a team that
cannot be deleted says why (409), in the service's words after the page's own sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.org import Team
from fenpei.domain.users import Actor, Role, User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID
from fenpei.services import org, scope
from fenpei.services.ports import UnitOfWork
from fenpei.web._admin_forms import posted, refuse
from fenpei.web._form_values import form_id
from fenpei.web._org_forms import FormState
from fenpei.web.i18n import Translate, translator
from fenpei.web.rendering import page_language, render

router = APIRouter(prefix="/admin", include_in_schema=False)
TeamId = Annotated[int, Path(ge=1, le=MAX_ID)]
DONE = frozenset({"created", "saved", "deleted"})


def tree_order(teams: list[Team]) -> list[tuple[Team, int]]:
    """Teams parents first, each followed by its sub-teams, with their depth; by name."""
    children: dict[int | None, list[Team]] = {}
    known = {team.id for team in teams}
    for team in sorted(teams, key=lambda t: t.name):
        parent = team.parent_id if team.parent_id in known else None
        children.setdefault(parent, []).append(team)
    ordered: list[tuple[Team, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for team in children.get(parent, []):
            ordered.append((team, depth))
            walk(team.id, depth + 1)

    walk(None, 0)
    return ordered


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    actor: Actor,
    *,
    form: FormState | None = None,
    edit: tuple[int, FormState] | None = None,
    refusal: str | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    scope.require_admin(actor, "manage teams")
    teams = uow.teams.all()
    reps = uow.reps.all()
    context = {
        "user": user,
        "active": "admin",
        "rows": tree_order(teams),
        "rep_counts": {t.id: sum(1 for r in reps if r.team_id == t.id) for t in teams},
        "managers": [u for u in uow.users.all() if u.role is Role.manager and u.active],
        "form": form or FormState(),
        "edit_id": edit[0] if edit else None,
        "edit_form": edit[1] if edit else FormState(),
        "refusal": refusal,
        "done": done if done in DONE else None,
    }
    return render(request, "admin/teams.html", context, status_code=status_code)


def _not_empty_text(exc: org.TeamNotEmpty, t: Translate) -> str:
    """Why the team cannot go, in the page's language: what it still holds, by name."""
    parts = [
        t(
            key,
            count=len(names),
            names=t("admin.list_sep").join(names[:3]) + ("…" if names[3:] else ""),
        )
        for key, names in (
            ("admin.teams.holds_reps", exc.reps),
            ("admin.teams.holds_sub_teams", exc.sub_teams),
            ("admin.teams.holds_rules", exc.rules),
        )
        if names
    ]
    return t("admin.teams.not_empty", name=exc.team_name, what=t("admin.list_sep").join(parts))


@router.get("/teams")
def teams_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """团队管理: every team, in its place in the tree, with what can be done to it."""
    return _page(request, uow, user, actor, done=done)


def _team_fields(values: Mapping[str, str], state: FormState) -> dict[str, object]:
    fields: dict[str, object] = {"name": values.get("name", "")}
    for name in ("parent_id", "manager_user_id"):
        if name in values:
            chosen = form_id(values[name])
            if isinstance(chosen, str):
                state.errors[name] = chosen  # not from our select: say what was sent
            fields[name] = chosen
    if "region" in values:
        fields["region"] = values["region"]
    return fields


@router.post("/teams")
async def create_team(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep
) -> Response:
    """Add a team; a refused form comes back with its errors (422)."""
    values = await posted(request)
    state = FormState(values=values)
    fields = _team_fields(values, state)
    if not state.errors:
        try:
            org.create_team(
                uow=uow,
                name=str(fields["name"]),
                parent_id=fields.get("parent_id"),  # type: ignore[arg-type]
                manager_user_id=fields.get("manager_user_id"),  # type: ignore[arg-type]
                region=fields.get("region"),  # type: ignore[arg-type]
                actor=actor,
                now=fenpei.now(),
            )
            uow.commit()
            return RedirectResponse("/admin/teams?done=created", status_code=303)
        except ValidationFailed as exc:
            uow.rollback()
            refuse(state, exc, translator(page_language(request)))
    return _page(request, uow, user, actor, form=state, status_code=422)


@router.post("/teams/{team_id}")
async def update_team(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    team_id: TeamId,
) -> Response:
    """Rename a team, move it under another (or to the top), or give it a manager."""
    values = await posted(request)
    state = FormState(values=values)
    fields = _team_fields(values, state)
    team = uow.teams.get(team_id)
    if team is not None and fields.get("manager_user_id") == team.manager_user_id:
        # Unchanged: a manager named without a login (manager_name alone) keeps their name.
        fields.pop("manager_user_id", None)
    if not state.errors:
        try:
            org.update_team(uow=uow, team_id=team_id, fields=fields, actor=actor, now=fenpei.now())
            uow.commit()
            return RedirectResponse(f"/admin/teams?done=saved#team-{team_id}", status_code=303)
        except ValidationFailed as exc:
            uow.rollback()
            refuse(state, exc, translator(page_language(request)))
    return _page(request, uow, user, actor, edit=(team_id, state), status_code=422)


@router.post("/teams/{team_id}/delete")
def delete_team(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    team_id: TeamId,
) -> Response:
    """Delete an empty team (the page asks to confirm first); a refusal says why (409)."""
    try:
        org.delete_team(uow=uow, team_id=team_id, actor=actor, now=fenpei.now())
        uow.commit()
    except org.TeamNotEmpty as exc:
        uow.rollback()
        refusal = _not_empty_text(exc, translator(page_language(request)))
        return _page(request, uow, user, actor, refusal=refusal, status_code=409)
    return RedirectResponse("/admin/teams?done=deleted", status_code=303)
