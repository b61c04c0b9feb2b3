"""接口令牌: API tokens — the list (prefix, owner, scopes, last use, expiry), a form to make
one (scopes ticked, optional expiry day) and revoking (confirmed first).

``services.tokens`` decides whose tokens one sees and makes: an admin everyone's, anyone
else only their own. The secret is shown once, on the page answering the form that made it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.access import ApiToken
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.scopes import ALL, AREAS
from fenpei.domain.users import Actor, User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID
from fenpei.services import tokens
from fenpei.services.ports import UnitOfWork
from fenpei.web._admin_forms import refuse
from fenpei.web._form_values import form_day
from fenpei.web._org_forms import FormState
from fenpei.web.i18n import translator
from fenpei.web.rendering import page_language, render

router = APIRouter(prefix="/admin", include_in_schema=False)
TokenId = Annotated[int, Path(ge=1, le=MAX_ID)]
DONE = frozenset({"revoked"})


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    actor: Actor,
    now: datetime,
    *,
    form: FormState | None = None,
    scopes: list[str] | None = None,
    made: tuple[ApiToken, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    owned = tokens.list_tokens(uow=uow, actor=actor)
    context = {
        "user": user,
        "active": "admin",
        "tokens": owned,
        "usable": {o.token.id: tokens.usable(o.token, now=now) for o in owned},
        "owners": [u for u in uow.users.all() if u.active] if actor.is_admin else [user],
        "areas": AREAS,
        "all_scope": ALL,
        "chosen": set(scopes or []),
        "form": form or FormState(values={"username": user.username}),
        "made": made,
        "done": done if done in DONE else None,
        "today": now.date().isoformat(),
    }
    return render(request, "admin/tokens.html", context, status_code=status_code)


@router.get("/tokens")
def tokens_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """接口令牌: the tokens one may see, newest first, and the form to make one."""
    return _page(request, uow, user, actor, fenpei.now(), done=done)


@router.post("/tokens")
async def create_token(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep
) -> Response:
    """Make a token; its secret is on the page this answers, and nowhere else, ever."""
    t = translator(page_language(request))
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "scopes"}
    scopes = [s for s in form.getlist("scopes") if isinstance(s, str)][: tokens.MAX_SCOPES + 1]
    state = FormState(values=values)
    expires_at: datetime | None = None
    day = form_day(values.get("expires_on"))
    if isinstance(day, str):
        state.errors["expires_on"] = t("admin.error.day")
    elif day is not None:  # the end of that day, in the configured time zone
        end = datetime.combine(day, time()) + timedelta(days=1)
        expires_at = end.replace(tzinfo=fenpei.settings.zone)
    try:
        token, secret = tokens.create_token(
            uow=uow,
            username=values.get("username", user.username),
            name=values.get("name", ""),
            scopes=scopes,
            expires_at=expires_at,
            actor=actor,
            now=fenpei.now(),
        )
        if not state.errors:
            uow.commit()
            return _page(request, uow, user, actor, fenpei.now(), made=(token, secret))
    except ValidationFailed as exc:
        refuse(state, exc, t)
        if "expires_at" in state.errors:
            state.errors["expires_on"] = state.errors.pop("expires_at")
    uow.rollback()
    return _page(
        request, uow, user, actor, fenpei.now(), form=state, scopes=scopes, status_code=422
    )


@router.post("/tokens/{token_id}/revoke")
def revoke_token(
    uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep, token_id: TokenId
) -> Response:
    """Stop a token working at once (the page asks to confirm first)."""
    tokens.revoke_token(uow=uow, token_id=token_id, actor=actor, now=fenpei.now())
    uow.commit()
    return RedirectResponse(f"/admin/tokens?done=revoked#token-{token_id}", status_code=303)
