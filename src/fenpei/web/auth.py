"""Logging in and out with a signed session cookie (roles and API tokens come later)."""

from __future__ import annotations

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
from fenpei.config import Mode
from fenpei.services import users
from fenpei.web.rendering import render, safe_next

router = APIRouter(include_in_schema=False)
# Longer input cannot be a valid login; refusing it early keeps argon2 from hashing megabytes.
_MAX_USERNAME, _MAX_PASSWORD = 64, 1024


@router.get("/login")
def login_page(request: Request, next_url: Annotated[str, Query(alias="next")] = "") -> Response:
    """登录: the login form."""
    context = {"next": safe_next(next_url), "username": "", "failed": False}
    return render(request, "login.html", context)


@router.post("/login")
def login(
    request: Request,
    uow: UowDep,
    fenpei: FenpeiDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Check the credentials; on success set the session cookie and go on to ``next``."""
    plausible = (
        0 < len(username) <= _MAX_USERNAME
        and 0 < len(password) <= _MAX_PASSWORD
        and "\x00" not in username
    )
    user = (
        users.authenticate(uow=uow, hasher=fenpei.hasher, username=username, password=password)
        if plausible
        else None
    )
    if user is None or user.id is None:
        # Same answer whichever part was wrong.
        context = {
            "next": safe_next(next_url),
            "username": username[:_MAX_USERNAME],
            "failed": True,
        }
        return render(request, "login.html", context, status_code=400)
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
