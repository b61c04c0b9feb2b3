"""Logging in and out with a signed session cookie, and changing one's own password.

Logging out ends the user's sessions everywhere (their session version goes up, see
``http.sessions``). A user holding a one-time password is sent to the change-password form
from every page until they have chosen their own (``PasswordChangeRequired``, raised by
``http.deps.get_current_principal``; ``install_password_change_redirect`` answers it).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from fenpei.config import Settings
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.limits import NUL_MESSAGE, SURROGATE_MESSAGE
from fenpei.domain.users import CHANGE_PASSWORD_PAGE, PasswordChangeRequired, User
from fenpei.http.deps import (
    AccountPrincipal,
    FenpeiDep,
    SessionUser,
    UowDep,
    actor_of,
    clear_session_cookie,
    issue_session_cookie,
)
from fenpei.http.errors import error_body, is_api_path
from fenpei.services import login_throttle, users
from fenpei.web.i18n import Translate, translator
from fenpei.web.rendering import is_htmx, page_language, render, safe_next

router = APIRouter(include_in_schema=False)
# Longer input cannot be a valid login; refusing it early keeps argon2 from hashing megabytes.
_MAX_USERNAME, _MAX_PASSWORD = 64, users.MAX_PASSWORD_LENGTH


def login_policy(settings: Settings) -> login_throttle.LoginPolicy:
    return login_throttle.LoginPolicy(
        max_failures=settings.login_max_failures,
        window=timedelta(minutes=settings.login_failure_window_minutes),
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )


def _login_form(
    request: Request,
    *,
    next_url: str,
    username: str = "",
    failed: bool = False,
    locked_minutes: int = 0,
    status_code: int = 200,
) -> Response:
    context = {
        "next": safe_next(next_url),
        "username": username[:_MAX_USERNAME],
        "failed": failed,
        "locked_minutes": locked_minutes,
    }
    return render(request, "login.html", context, status_code=status_code)


def _locked_out(request: Request, *, next_url: str, until: datetime, now: datetime) -> Response:
    """429 with the minutes left in words and the seconds in ``Retry-After``."""
    seconds = max(1, math.ceil((until - now) / timedelta(seconds=1)))
    response = _login_form(
        request, next_url=next_url, locked_minutes=math.ceil(seconds / 60), status_code=429
    )
    response.headers["Retry-After"] = str(seconds)
    return response


@router.get("/login")
def login_page(request: Request, next_url: Annotated[str, Query(alias="next")] = "") -> Response:
    """登录: the login form."""
    return _login_form(request, next_url=next_url)


@router.post("/login")
def login(
    request: Request,
    uow: UowDep,
    fenpei: FenpeiDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Check the credentials unless too many failures locked them out; on success set the
    session cookie and go on to ``next``."""
    plausible = len(username) <= _MAX_USERNAME and len(password) <= _MAX_PASSWORD
    now = fenpei.now()
    attempt = login_throttle.log_in(
        uow=uow,
        hasher=fenpei.hasher,
        # Implausible input still counts as a failure, without reaching argon2.
        username=username if plausible else username[:_MAX_USERNAME],
        password=password if plausible else "",
        client=request.client.host if request.client else "unknown",
        now=now,
        policy=login_policy(fenpei.settings),
    )
    uow.commit()  # the failure counted, or the user's count cleared
    if attempt.locked_until is not None:
        return _locked_out(request, next_url=next_url, until=attempt.locked_until, now=now)
    user = attempt.user
    if user is None or user.id is None:
        # Same answer whichever part was wrong.
        return _login_form(
            request, next_url=next_url, username=username, failed=True, status_code=400
        )
    go_to = safe_next(next_url)
    if user.must_change_password:  # straight to the form every other page would send it to
        go_to = _change_password_url(go_to)
    response = RedirectResponse(go_to, status_code=303)
    issue_session_cookie(response, fenpei, user)
    return response


@router.post("/logout")
def logout(uow: UowDep, fenpei: FenpeiDep, user: SessionUser) -> RedirectResponse:
    """退出: end the user's sessions (on every device) and forget the cookie."""
    if user is not None:
        users.log_out(uow=uow, user=user, actor=actor_of(user), now=fenpei.now())
        uow.commit()
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response


# --- changing one's password ----------------------------------------------------------------

# A service's word for a problem -> the page's (``{min}`` / ``{max}`` filled in).
_PROBLEM_KEYS = {
    users.NOT_CURRENT: "account.error.not_current",
    users.TOO_SHORT: "account.error.too_short",
    users.TOO_LONG: "account.error.too_long",
    users.SAME_AS_CURRENT: "account.error.same",
    NUL_MESSAGE: "account.error.text",
    SURROGATE_MESSAGE: "account.error.text",
}


def _change_password_url(next_url: str = "") -> str:
    return CHANGE_PASSWORD_PAGE + (f"?{urlencode({'next': next_url})}" if next_url else "")


def _password_form(
    request: Request,
    user: User,
    *,
    next_url: str,
    errors: dict[str, str] | None = None,
    done: bool = False,
    status_code: int = 200,
) -> Response:
    context = {
        "user": user,
        "next": safe_next(next_url, default=""),
        "errors": errors or {},
        "done": done,
        "min_length": users.MIN_PASSWORD_LENGTH,
    }
    return render(request, "account/password.html", context, status_code=status_code)


def _shown(t: Translate, exc: ValidationFailed) -> dict[str, str]:
    shown: dict[str, str] = {}
    for error in exc.errors:
        key = _PROBLEM_KEYS.get(error.message)
        text = (
            t(key, min=users.MIN_PASSWORD_LENGTH, max=users.MAX_PASSWORD_LENGTH)
            if key
            else error.message
        )
        shown.setdefault(error.field, text)
    return shown


@router.get(CHANGE_PASSWORD_PAGE)
def password_page(
    request: Request,
    principal: AccountPrincipal,
    next_url: Annotated[str, Query(alias="next", max_length=2000)] = "",
    done: Annotated[bool, Query()] = False,
) -> Response:
    """修改密码: the form to replace one's password (a one-time password first of all)."""
    if is_htmx(request):
        # A fragment request was sent here (its page is behind the form): load the form as
        # a page instead of swapping it into the fragment's place.
        return Response(status_code=204, headers={"HX-Redirect": _change_password_url(next_url)})
    return _password_form(request, principal.user, next_url=next_url, done=done)


@router.post(CHANGE_PASSWORD_PAGE)
def change_password(
    request: Request,
    uow: UowDep,
    fenpei: FenpeiDep,
    principal: AccountPrincipal,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    new_password_again: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Replace the password; the user's other sessions end and this browser gets a new one,
    then goes on to ``next`` (or back to the form, saying it is done)."""
    t = translator(page_language(request))
    if new_password != new_password_again:
        errors = {"new_password_again": t("account.error.mismatch")}
        return _password_form(
            request, principal.user, next_url=next_url, errors=errors, status_code=422
        )
    try:
        user = users.change_own_password(
            uow=uow,
            hasher=fenpei.hasher,
            actor=actor_of(principal.user),
            current_password=current_password,
            new_password=new_password,
            now=fenpei.now(),
        )
        uow.commit()
    except ValidationFailed as exc:
        return _password_form(
            request, principal.user, next_url=next_url, errors=_shown(t, exc), status_code=422
        )
    go_to = safe_next(next_url, default="") or CHANGE_PASSWORD_PAGE + "?done=true"
    response = RedirectResponse(go_to, status_code=303)
    issue_session_cookie(response, fenpei, user)
    return response


def install_password_change_redirect(app: FastAPI) -> None:
    """Answer PasswordChangeRequired: pages go to the change-password form (303, or
    ``HX-Redirect`` for htmx), coming back to where they were after; the API says 403 with
    what to do."""

    async def password_change_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PasswordChangeRequired)
        if is_api_path(request.url.path):
            return JSONResponse(error_body(exc.code, str(exc)), status_code=403)
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = _change_password_url(here if request.method == "GET" else "")
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    app.add_exception_handler(PasswordChangeRequired, password_change_required)
