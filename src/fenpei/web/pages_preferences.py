"""通知设置 (notification preferences): on the account, each user ticks the events emailed
to them (or keeps their role's default) and sets quiet hours; an admin, on the same page,
sets each role's default. The in-app inbox always gets everything and is not a choice.

A saved form answers with a redirect (303) back to the page; a refused one comes back with
its errors next to the fields (422)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.preferences import CHOOSABLE_EVENTS
from fenpei.domain.users import Actor, Role, User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.services.notifications import preferences
from fenpei.services.ports import UnitOfWork
from fenpei.web._said import said
from fenpei.web.i18n import Translate, translator
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
PAGE = "/account/notifications"
Events = Annotated[list[str] | None, Form(max_length=len(CHOOSABLE_EVENTS) * 2)]
TimeOfDay = Annotated[str, Form(max_length=20)]
Mode = Annotated[str, Form(max_length=20)]
Checkbox = Annotated[str, Form(max_length=20)]  # "on" when ticked, absent when not
RoleParam = Annotated[Role, Path()]
_DONE = frozenset({"saved", "defaults"})


def _errors(exc: ValidationFailed, t: Translate) -> dict[str, str]:
    """Field -> message; ``email_events[2]`` and the like are shown by the events."""
    found: dict[str, str] = {}
    for error in exc.errors:
        field = "email_events" if error.field.startswith("email_events") else error.field
        found[field] = "; ".join(filter(None, [found.get(field), said(t, error.message)]))
    return found


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    actor: Actor,
    *,
    failed: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    failed_role: Role | None = None,
    status_code: int = 200,
) -> Response:
    mine = preferences.own_preferences(uow=uow, actor=actor)
    context = {
        "user": user,
        "active": "account",
        "event_types": CHOOSABLE_EVENTS,
        "mine": mine,
        "values": values
        or {
            "mode": "default" if mine.uses_role_default else "custom",
            "email_events": mine.email_events,
            "quiet_start": mine.quiet_start or "",
            "quiet_end": mine.quiet_end or "",
            "digest": mine.digest,
        },
        "failed": failed or {},
        "failed_role": failed_role,
        "defaults": preferences.role_defaults(uow=uow, actor=actor) if actor.is_admin else [],
        "done": request.query_params.get("done") if status_code == 200 else None,
    }
    if context["done"] not in _DONE:
        context["done"] = None
    return render(request, "account/notifications.html", context, status_code=status_code)


@router.get(PAGE)
def preferences_page(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor
) -> Response:
    """通知设置: your email events and quiet hours (and, for admins, each role's default)."""
    return _page(request, uow, user, actor)


@router.post(PAGE)
def save_preferences(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep,
    mode: Mode = "default", email_events: Events = None, quiet_start: TimeOfDay = "",
    quiet_end: TimeOfDay = "", digest: Checkbox = "",
) -> Response:  # fmt: skip
    """Save your choices: "default" follows your role, "custom" the ticked events."""
    chosen = (email_events or []) if mode == "custom" else None
    try:
        preferences.set_own_preferences(
            uow=uow, actor=actor, email_events=chosen, quiet_start=quiet_start or None,
            quiet_end=quiet_end or None, digest=bool(digest), now=fenpei.now(),
        )  # fmt: skip
        uow.commit()
    except ValidationFailed as exc:
        uow.rollback()
        values = {
            "mode": mode, "email_events": email_events or [], "quiet_start": quiet_start,
            "quiet_end": quiet_end, "digest": bool(digest),
        }  # fmt: skip
        return _page(
            request,
            uow,
            user,
            actor,
            failed=_errors(exc, translator(page_language(request))),
            values=values,
            status_code=422,
        )
    return RedirectResponse(f"{PAGE}?done=saved", status_code=303)


@router.post("/admin/notification-defaults/{role}")
def save_role_default(
    request: Request, role: RoleParam, uow: UowDep, user: CurrentUser, actor: CurrentActor,
    fenpei: FenpeiDep, email_events: Events = None,
) -> Response:  # fmt: skip
    """Set the events a role's users get by email until they choose (admins only)."""
    try:
        preferences.set_role_default(
            uow=uow, actor=actor, role=role, email_events=email_events or [], now=fenpei.now()
        )
        uow.commit()
    except ValidationFailed as exc:
        uow.rollback()
        return _page(
            request,
            uow,
            user,
            actor,
            failed=_errors(exc, translator(page_language(request))),
            failed_role=role,
            status_code=422,
        )
    return RedirectResponse(f"{PAGE}?done=defaults", status_code=303)
