"""One error shape everywhere: ``{"code", "message", "errors": [{"field", "message"}]}``.

API paths answer JSON; page paths hand the same status and message to a page renderer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from fenpei.domain.errors import (
    Conflict,
    CredentialsRefused,
    FenpeiError,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from fenpei.http.deps import NotAuthenticated
from fenpei.http.headers import request_id

log = logging.getLogger(__name__)

ErrorBody = dict[str, Any]
PageRenderer = Callable[[Request, int, ErrorBody], Response]

# Most specific first: CapacityExceeded is a Conflict, every one is a FenpeiError.
_STATUS_OF: Sequence[tuple[type[FenpeiError], int]] = (
    (ValidationFailed, 422),
    (NotFound, 404),
    (Conflict, 409),
    (PermissionDenied, 403),
    (CredentialsRefused, 401),
    (FenpeiError, 400),
)
_CODE_OF_STATUS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_failed",
    503: "unavailable",
}
_SOURCES = {"query", "path", "body", "header", "cookie"}


def error_body(code: str, message: str, errors: Sequence[FieldError] = ()) -> ErrorBody:
    return {
        "code": code,
        "message": message,
        "errors": [{"field": e.field, "message": e.message} for e in errors],
    }


def field_path(loc: Sequence[str | int]) -> str:
    """``("query", "limit")`` → ``limit``; ``("body", "rows", 3, "email")`` → ``rows[3].email``."""
    parts = list(loc[1:] if loc and loc[0] in _SOURCES and len(loc) > 1 else loc)
    # A position with no name before it (a JSON syntax error at char 12) belongs to its source.
    path = str(loc[0]) if parts and isinstance(parts[0], int) else ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _validation_body(exc: RequestValidationError) -> ErrorBody:
    errors = [
        # pydantic prefixes messages from our validators with "Value error, ": noise to a user.
        FieldError(
            field_path(e.get("loc", ())), str(e.get("msg", "")).removeprefix("Value error, ")
        )
        for e in exc.errors()
    ]
    return error_body("validation_failed", str(ValidationFailed(errors)), errors)


def is_api_path(path: str) -> bool:
    return path.startswith("/api/") or path in ("/healthz", "/docs", "/openapi.json")


def responder(render_page: PageRenderer) -> Callable[[Request, int, ErrorBody], Response]:
    """Answer an error as JSON on API paths and as the localized page elsewhere."""

    def respond(request: Request, status: int, body: ErrorBody) -> Response:
        if is_api_path(request.url.path):
            return JSONResponse(body, status_code=status)
        return render_page(request, status, body)

    return respond


def guard_responder(
    render_page: PageRenderer,
) -> Callable[[Request, int, FieldError | None, str], Response]:
    """How the HTTP input guard (``fenpei.http.input_guard``) answers: the same shape."""
    respond = responder(render_page)

    def refuse(request: Request, status: int, problem: FieldError | None, message: str) -> Response:
        code = _CODE_OF_STATUS.get(status, "bad_request")
        return respond(request, status, error_body(code, message, [problem] if problem else []))

    return refuse


def install_error_handlers(app: FastAPI, *, render_page: PageRenderer) -> None:
    """Translate every error into the shape, as JSON for the API and as a page otherwise."""
    respond = responder(render_page)

    async def fenpei_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FenpeiError)
        status = next(code for kind, code in _STATUS_OF if isinstance(exc, kind))
        errors = exc.errors if isinstance(exc, ValidationFailed) else ()
        return respond(request, status, error_body(exc.code, str(exc), errors))

    async def request_invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return respond(request, 422, _validation_body(exc))

    async def not_authenticated(request: Request, exc: Exception) -> Response:
        return respond(request, 401, error_body("not_authenticated", "log in first"))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = _CODE_OF_STATUS.get(exc.status_code, "http_error")
        response = respond(request, exc.status_code, error_body(code, str(exc.detail)))
        response.headers.update(exc.headers or {})
        return response

    async def database_down(request: Request, exc: Exception) -> Response:
        log.error("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        body = error_body("database_unavailable", "the database is unavailable; try again shortly")
        return respond(request, 503, body)

    async def busy(request: Request, exc: Exception) -> Response:
        # Every database connection of this process stayed in use for the pool's whole
        # timeout: overload, not a fault. The client may retry.
        log.warning("no database connection free on %s %s", request.method, request.url.path)
        body = error_body("busy", "the server is busy; try again shortly")
        response = respond(request, 503, body)
        response.headers["Retry-After"] = "1"
        return response

    async def unexpected(request: Request, exc: Exception) -> Response:
        rid = request_id(request.scope)
        log.exception(
            "unhandled error on %s %s [request %s]", request.method, request.url.path, rid
        )
        body = error_body(
            "internal_error",
            f"something went wrong on our side; it is logged as request {rid}",
        )
        body["request_id"] = rid
        try:
            return respond(request, 500, body)
        except Exception:  # the error page itself failed: answer in plain JSON
            log.exception("the error page failed [request %s]", rid)
            return JSONResponse(body, status_code=500)

    app.add_exception_handler(FenpeiError, fenpei_error)
    app.add_exception_handler(RequestValidationError, request_invalid)
    app.add_exception_handler(NotAuthenticated, not_authenticated)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(sa_exc.OperationalError, database_down)
    app.add_exception_handler(sa_exc.InterfaceError, database_down)
    app.add_exception_handler(sa_exc.TimeoutError, busy)
    app.add_exception_handler(Exception, unexpected)
