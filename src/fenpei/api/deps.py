"""Dependencies as named aliases: ``def route(uow: UowDep, user: CurrentUser) -> ...``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from fenpei.api.sessions import SESSION_COOKIE, read_session
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Actor, User
from fenpei.services.ports import UnitOfWork


class NotAuthenticated(Exception):
    """No valid session: the API answers 401, pages redirect to the login page."""


def get_fenpei(request: Request) -> Fenpei:
    fenpei = request.app.state.fenpei
    assert isinstance(fenpei, Fenpei), "create_app() keeps fenpei on app.state"
    return fenpei


FenpeiDep = Annotated[Fenpei, Depends(get_fenpei)]


def get_uow(request: Request, fenpei: FenpeiDep) -> Iterator[UnitOfWork]:
    """One unit of work per request, entered; it rolls back unless a route commits.

    GET and HEAD requests get a read-only one (no write lock on SQLite)."""
    with fenpei.uow(read_only=request.method in ("GET", "HEAD")) as uow:
        yield uow


# scope="function": the transaction ends when the route returns, before the response is
# sent, so a slow client never holds a connection (or SQLite's write lock).
UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]


def get_session_user(request: Request, fenpei: FenpeiDep, uow: UowDep) -> User | None:
    """The active user the session cookie names, or None (missing, tampered, expired)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    session = read_session(token, secret=fenpei.settings.secret_key, now=fenpei.now())
    if session is None:
        return None
    # Re-read the user: a deactivated or deleted account loses access at once.
    user = uow.users.by_username(session.username)
    if user is None or user.id != session.user_id or not user.active:
        return None
    return user


SessionUser = Annotated[User | None, Depends(get_session_user)]


def get_current_user(user: SessionUser) -> User:
    if user is None:
        raise NotAuthenticated("log in first")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def actor_of(user: User) -> Actor:
    """The user as the services' ``actor`` (for the audit log)."""
    return Actor(user.username, user.role, user_id=user.id, rep_id=user.rep_id)
