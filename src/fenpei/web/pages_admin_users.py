"""用户管理 (admin): who logs in, with forms to add a user (a role, and for a rep the rep
they are), reset a password and deactivate a user (``services.users`` decides who may).

A new or reset password is a one-time password: shown once, on the page that answers the
form, never in a URL; the user must change it when they next log in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.errors import NotFound, ValidationFailed
from fenpei.domain.users import Actor, Role, User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID
from fenpei.services import users
from fenpei.services.ports import UnitOfWork
from fenpei.web._admin_forms import posted, refuse
from fenpei.web._form_values import form_id
from fenpei.web._org_forms import FormState
from fenpei.web.i18n import translator
from fenpei.web.rendering import page_language, render

router = APIRouter(prefix="/admin", include_in_schema=False)
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
DONE = frozenset({"deactivated"})


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    actor: Actor,
    *,
    form: FormState | None = None,
    one_time: tuple[User, str, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    everyone = users.list_users(uow=uow, actor=actor)  # refuses a non-admin
    reps = sorted(uow.reps.all(), key=lambda r: r.name)
    context = {
        "user": user,
        "active": "admin",
        "users": everyone,
        "reps": reps,
        "rep_names": {r.id: r.name for r in reps},
        "roles": list(Role),
        "form": form or FormState(values={"role": Role.rep.value}),
        "one_time": one_time,
        "done": done if done in DONE else None,
    }
    return render(request, "admin/users.html", context, status_code=status_code)


@router.get("/users")
def users_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    rep_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """用户管理: every user with their role, rep and state; ``?rep_id=`` fills in the form."""
    form = None
    if rep_id is not None and (rep := uow.reps.get(rep_id)) is not None:
        form = FormState(
            values={"role": Role.rep.value, "rep_id": str(rep_id), "display_name": rep.name}
        )
    return _page(request, uow, user, actor, form=form, done=done)


def _role(text: str) -> Role | None:
    return next((role for role in Role if role.value == text), None)


@router.post("/users")
async def create_user(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep
) -> Response:
    """Add a user with a one-time password, shown on the page this answers (once)."""
    t = translator(page_language(request))
    values = await posted(request)
    state = FormState(values=values)
    role = _role(values.get("role", ""))
    rep_text = values.get("rep_id", "").strip()
    chosen = form_id(rep_text)
    rep_id = chosen if isinstance(chosen, int) else None
    if role is None:
        state.errors["role"] = t("admin.error.role")
    if rep_text and rep_id is None:
        state.errors["rep_id"] = t("admin.error.rep")
    if role is Role.rep and rep_id is None:
        state.errors.setdefault("rep_id", t("admin.error.rep_needed"))
    password = users.one_time_password()
    try:
        made = users.create_user(
            uow=uow,
            hasher=fenpei.hasher,
            username=values.get("username", ""),
            password=password,
            role=role or Role.rep,
            display_name=values.get("display_name", "").strip() or None,
            rep_id=rep_id if role is Role.rep else None,
            must_change_password=True,
            actor=actor,
            now=fenpei.now(),
        )
        if not state.errors:
            uow.commit()
            return _page(request, uow, user, actor, one_time=(made, password, "created"))
    except ValidationFailed as exc:
        refuse(state, exc, t)
    uow.rollback()
    return _page(request, uow, user, actor, form=state, status_code=422)


def _user(uow: UnitOfWork, actor: Actor, user_id: int) -> User:
    """The user by id, through the admin's list (anyone else is refused before a lookup)."""
    found = next((u for u in users.list_users(uow=uow, actor=actor) if u.id == user_id), None)
    if found is None:
        raise NotFound("user", user_id)
    return found


@router.post("/users/{user_id}/reset")
def reset_password(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    user_id: UserId,
) -> Response:
    """A new one-time password (shown once); the user's old one and sessions stop working."""
    target = _user(uow, actor, user_id)
    password = users.one_time_password()
    users.reset_password(
        uow=uow,
        hasher=fenpei.hasher,
        username=target.username,
        password=password,
        actor=actor,
        now=fenpei.now(),
    )
    uow.commit()
    return _page(request, uow, user, actor, one_time=(target, password, "reset"))


@router.post("/users/{user_id}/deactivate")
def deactivate_user(
    uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep, user_id: UserId
) -> Response:
    """Stop a user logging in (the page asks to confirm first): sessions and tokens end."""
    target = _user(uow, actor, user_id)
    users.deactivate_user(uow=uow, username=target.username, actor=actor, now=fenpei.now())
    uow.commit()
    return RedirectResponse(f"/admin/users?done=deactivated#user-{user_id}", status_code=303)
