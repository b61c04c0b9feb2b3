"""Dependencies as named aliases: ``def route(uow: UowDep, user: CurrentUser) -> ...``."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import exc as sa_exc

from fenpei.bootstrap import Fenpei
from fenpei.config import Mode
from fenpei.domain.access import ApiToken
from fenpei.domain.errors import CredentialsRefused
from fenpei.domain.users import Actor, PasswordChangeRequired, User
from fenpei.http.sessions import (
    SESSION_COOKIE,
    SESSION_LIFETIME,
    read_session,
    sign_session,
    start_session,
)
from fenpei.services import scope, tokens
from fenpei.services.ports import UnitOfWork
from fenpei.services.scheduling import Job

log = logging.getLogger(__name__)


class NotAuthenticated(Exception):
    """No valid session: the API answers 401, pages redirect to the login page."""


def get_fenpei(request: Request) -> Fenpei:
    fenpei = request.app.state.fenpei
    assert isinstance(fenpei, Fenpei), "create_app() keeps fenpei on app.state"
    return fenpei


async def _fenpei(request: Request) -> Fenpei:
    return get_fenpei(request)


async def _jobs(request: Request) -> Sequence[Job]:
    jobs = request.app.state.jobs
    assert isinstance(jobs, list), "create_app() keeps the scheduled jobs on app.state"
    return jobs


# The dependencies that only look at what is already in hand are ``async def``: FastAPI
# runs a plain ``def`` dependency in its thread pool, a hop that costs more than the
# check. Those that touch the database stay ``def`` (they block).
FenpeiDep = Annotated[Fenpei, Depends(_fenpei)]
# The named periodic jobs (jobs/registry.py), which create_app() hands over: api/ and web/
# see them as services.scheduling.Job values and never import jobs/.
JobsDep = Annotated[Sequence[Job], Depends(_jobs)]


def get_uow(request: Request, fenpei: FenpeiDep) -> Iterator[UnitOfWork]:
    """One unit of work per request, entered; it rolls back unless a route commits.

    GET and HEAD requests get a read-only one (no write lock on SQLite)."""
    with fenpei.uow(read_only=request.method in ("GET", "HEAD")) as uow:
        yield uow


# scope="function": the transaction ends when the route returns, before the response is
# sent, so a slow client never holds a connection (or SQLite's write lock).
UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]


def get_session_user(request: Request, fenpei: FenpeiDep, uow: UowDep) -> User | None:
    """The active user the session cookie names, or None (missing, tampered, expired, or
    ended: logged out, password changed or reset, deactivated)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    session = read_session(token, secret=fenpei.settings.secret_key, now=fenpei.now())
    if session is None:
        return None
    # Re-read the user: a deactivated or deleted account loses access at once, and so does
    # every cookie signed before the user's sessions were ended (an older version).
    user = uow.users.by_username(session.username)
    if (
        user is None
        or user.id != session.user_id
        or not user.active
        or user.session_version != session.version
    ):
        return None
    return user


SessionUser = Annotated[User | None, Depends(get_session_user)]


def issue_session_cookie(response: Response, fenpei: Fenpei, user: User) -> None:
    """Start a session for ``user`` at their current session version: the cookie on
    ``response`` (after a login, or after a password change ended the old ones)."""
    assert user.id is not None
    session = start_session(
        user_id=user.id, username=user.username, now=fenpei.now(), version=user.session_version
    )
    response.set_cookie(
        SESSION_COOKIE,
        sign_session(session, secret=fenpei.settings.secret_key),
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=fenpei.settings.mode is Mode.production,
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


@dataclass(frozen=True)
class Principal:
    """Who sent a request: a user, through the session cookie or an API token."""

    user: User
    token: ApiToken | None = None  # None: a session, limited by the role alone


# Declares "Authorization: Bearer" in /docs (its Authorize button); checked below.
_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="API token",
    description="`fp_…`, from `fenpei tokens create` or `POST /api/v1/tokens`.",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]


def get_principal(
    request: Request,
    fenpei: FenpeiDep,
    uow: UowDep,
    bearer: BearerDep,
    background: BackgroundTasks,
) -> Principal | None:
    """The sender: ``Authorization: Bearer fp_…`` under /api/ (a bad token is 401, not a
    fallback to the cookie), else the session cookie; None if neither is presented."""
    if "authorization" not in request.headers or not request.url.path.startswith("/api/"):
        user = get_session_user(request, fenpei, uow)  # pages never accept tokens
        return Principal(user) if user is not None else None
    if bearer is None:
        raise CredentialsRefused("Authorization: expected 'Bearer fp_…' (an API token)")
    found = tokens.authenticate_token(uow=uow, presented=bearer.credentials, now=fenpei.now())
    if found is None:
        raise CredentialsRefused("Authorization: the API token is unknown, revoked or expired")
    user, token = found
    record_token_use_later(background, fenpei, token)
    return Principal(user, token)


PrincipalDep = Annotated[Principal | None, Depends(get_principal)]


async def get_account_principal(principal: PrincipalDep) -> Principal:
    """The caller, even one who must still replace a one-time password: only for the
    routes that replace it (and log out)."""
    if principal is None:
        raise NotAuthenticated("log in first")
    return principal


AccountPrincipal = Annotated[Principal, Depends(get_account_principal)]


async def get_current_principal(principal: AccountPrincipal) -> Principal:
    """The caller; a session whose password is a one-time password gets no further than
    changing it (PasswordChangeRequired: 403 for the API, a redirect for pages). API tokens
    are not held back: they belong to integrations, and the flag is about the password
    someone types to log in, which a token never needed."""
    if principal.token is None and principal.user.must_change_password:
        raise PasswordChangeRequired()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_current_principal)]


async def get_current_user(principal: CurrentPrincipal) -> User:
    return principal.user


CurrentUser = Annotated[User, Depends(get_current_user)]


def actor_of(user: User, token: ApiToken | None = None) -> Actor:
    """The user as the services' ``actor`` (for the audit log), with the token's scopes."""
    scopes = frozenset(token.scopes) if token is not None else None
    return Actor(user.username, user.role, user_id=user.id, rep_id=user.rep_id, scopes=scopes)


async def get_current_actor(principal: CurrentPrincipal) -> Actor:
    """The logged-in user as the services' actor: role and data scope (and token scopes)."""
    return actor_of(principal.user, principal.token)


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


async def get_writer(actor: CurrentActor) -> Actor:
    """An admin or a manager (the services check again; this answers 403 before the body)."""
    scope.require_writer(actor, "change customers or owners")
    return actor


async def get_admin(actor: CurrentActor) -> Actor:
    """An admin (the services check again; this answers 403 before the body is read)."""
    scope.require_admin(actor, "change this")
    return actor


WriterActor = Annotated[Actor, Depends(get_writer)]
AdminActor = Annotated[Actor, Depends(get_admin)]


def record_token_use_later(background: BackgroundTasks, fenpei: Fenpei, token: ApiToken) -> None:
    """Note the token's use after the response is sent, if a minute has passed since the
    last note.

    Not in the request's transaction: a GET's is read-only (on SQLite, upgrading its read
    to a write can fail when another writer committed meanwhile), and a POST's would hold
    the token's row lock (PostgreSQL) until the route commits, serialising every request
    made with one token. The write is a single conditional UPDATE in its own short
    transaction, after the request's own transaction has ended; a failed request (an
    error response) records no use."""
    now = fenpei.now()
    if token.id is not None and tokens.last_use_due(token, now=now):
        background.add_task(_record_token_use, fenpei, token.id, now)


def _record_token_use(fenpei: Fenpei, token_id: int, now: datetime) -> None:
    try:
        with fenpei.uow() as uow:
            tokens.record_token_use(uow=uow, token_id=token_id, now=now)
            uow.commit()
    except sa_exc.OperationalError as exc:  # the answer is sent; the note can wait a minute
        log.warning("could not record the use of API token %s: %s", token_id, exc)
