"""Logging in and out with a signed session cookie (roles and API tokens come later)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.api.deps import FenpeiDep, UowDep
from fenpei.api.sessions import (
    SESSION_COOKIE,
    SESSION_LIFETIME,
    sign_session,
    start_session,
)
from fenpei.config import Mode, Settings
from fenpei.services import login_throttle
from fenpei.web.rendering import render, safe_next

router = APIRouter(include_in_schema=False)
# Longer input cannot be a valid login; refusing it early keeps argon2 from hashing megabytes.
_MAX_USERNAME, _MAX_PASSWORD = 64, 1024


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
    session = start_session(user_id=user.id, username=user.username, now=fenpei.now())
    response = RedirectResponse(safe_next(next_url), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        sign_session(session, secret=fenpei.settings.secret_key),
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=fenpei.settings.mode is Mode.production,
    )
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    """退出: forget the session cookie."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response
