"""CSRF protection: a state-changing request that a browser's cookies could authenticate
must also carry a token that only this site's pages know.

The token is an HMAC (key derived from the secret for this purpose only) of what the
request is bound to:

- logged in: the session cookie, so a token from another session (or one planted with a
  cookie by a neighbouring subdomain) is refused;
- not yet logged in (the login form): the ``fenpei_csrf`` cookie, a random value set with
  the first page, so a site cannot log a browser into the attacker's account either.

Pages carry the token in every POST form (``csrf_token`` field) and in
``<meta name="csrf-token">`` for scripts (htmx sends it as ``X-CSRF-Token``). The check is
one app-wide dependency: GET, HEAD, OPTIONS are exempt; so are API requests with an
``Authorization`` header (authenticated by it alone, see ``http.deps.get_principal``: no
ambient credential, and another site cannot make a browser send that header without a
CORS preflight, which fenpei never grants); and so are API requests without a valid
session (nothing to ride on: authentication answers 401). Pages never take tokens, so a
page's form post always needs the CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import FieldError
from fenpei.http.deps import get_fenpei
from fenpei.http.errors import PageRenderer, error_body, is_api_path
from fenpei.http.sessions import SESSION_COOKIE, read_session

CSRF_COOKIE = "fenpei_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_PURPOSE = b"fenpei.csrf.v1"
_MAX_TOKEN_LENGTH = 128
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
HOW_TO_SEND = (
    f"send the {CSRF_HEADER} header (or a {CSRF_FIELD} form field) with the token from the "
    'page\'s <meta name="csrf-token">, or authenticate with an API token (Authorization: Bearer)'
)


class CsrfRejected(Exception):
    """The request needed a CSRF token and had none, or one for another session."""


@dataclass(frozen=True)
class PageToken:
    """The token a page gives its forms; ``new_cookie`` is a fresh browser value to set."""

    value: str
    new_cookie: str | None = None


def csrf_token(binding: str, *, secret: str) -> str:
    """The token for ``binding`` (``session:<cookie>`` or ``browser:<cookie>``)."""
    key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, binding.encode(), hashlib.sha256).hexdigest()


def _binding(cookies: Mapping[str, str]) -> str | None:
    # The session cookie is used as sent, valid or not: the request is authenticated by
    # exactly this value, and a page rendered with an expired session still posts (logout).
    if session := cookies.get(SESSION_COOKIE):
        return "session:" + session
    if browser := cookies.get(CSRF_COOKIE):
        return "browser:" + browser
    return None


def page_token(request: Request, *, secret: str) -> PageToken:
    """The token for the page answering ``request``, minting a browser cookie if needed."""
    binding = _binding(request.cookies)
    if binding is not None:
        return PageToken(csrf_token(binding, secret=secret))
    nonce = secrets.token_urlsafe(32)
    return PageToken(csrf_token("browser:" + nonce, secret=secret), new_cookie=nonce)


def set_csrf_cookie(response: Response, value: str, *, secure: bool) -> None:
    """Remember the browser value for its session (SameSite=Lax: like Strict for POSTs, but
    kept on a link from another site to the login page, which would otherwise mint a new
    value and break the forms of other open tabs)."""
    response.set_cookie(CSRF_COOKIE, value, path="/", httponly=True, samesite="lax", secure=secure)


def _has_session(request: Request, fenpei: Fenpei) -> bool:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return False
    return read_session(token, secret=fenpei.settings.secret_key, now=fenpei.now()) is not None


async def _sent_token(request: Request) -> str | None:
    if header := request.headers.get(CSRF_HEADER):
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(_FORM_TYPES):
        field = (await request.form()).get(CSRF_FIELD)  # parsed once, shared with the route
        return field if isinstance(field, str) else None
    return None


async def require_csrf(request: Request) -> None:
    """The app-wide dependency: refuse a state-changing, cookie-authenticated request whose
    token is missing or is not the one for its session (or browser)."""
    if request.method in SAFE_METHODS:
        return
    fenpei = get_fenpei(request)
    secret = fenpei.settings.secret_key
    # Under /api/ an Authorization header is the only credential looked at (the cookie is
    # ignored then); and the API never starts a session: without one, it answers 401.
    api = is_api_path(request.url.path)
    if api and ("authorization" in request.headers or not _has_session(request, fenpei)):
        return
    binding = _binding(request.cookies)
    sent = await _sent_token(request)
    if not sent:
        raise CsrfRejected(f"missing: {HOW_TO_SEND}")
    if (
        binding is None
        or len(sent) > _MAX_TOKEN_LENGTH
        or not hmac.compare_digest(
            csrf_token(binding, secret=secret).encode(), sent.encode("utf-8", "replace")
        )
    ):
        raise CsrfRejected(f"does not match this session: reload the page, then {HOW_TO_SEND}")


def install_csrf_handler(app: FastAPI, *, render_page: PageRenderer) -> None:
    """Answer a refused request with 403: the error shape (field ``csrf_token``) for the API,
    a page explaining what to do for forms."""

    async def csrf_rejected(request: Request, exc: Exception) -> Response:
        body = error_body(
            "csrf_failed",
            "this request needs a CSRF token; " + HOW_TO_SEND,
            [FieldError(CSRF_FIELD, str(exc))],
        )
        if is_api_path(request.url.path):
            return JSONResponse(body, status_code=403)
        return render_page(request, 403, body)

    app.add_exception_handler(CsrfRejected, csrf_rejected)
