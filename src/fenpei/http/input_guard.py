"""The door every HTTP request passes before routing, authentication or parsing.

One mechanism for each class of hostile input, so a field or a route added later is
covered without anyone remembering:

- **size**: a body above the cap (``max_body_bytes``; ``max_upload_bytes`` for multipart)
  answers 413 — from ``Content-Length`` before a byte is read, or as soon as a streamed
  body passes the cap. Nothing beyond the cap is ever read into memory.
- **nesting**: JSON bodies deeper than ``domain.limits.MAX_NESTING`` answer 422, checked on
  the raw bytes before any parser recurses.
- **text**: NUL and lone surrogates anywhere in a JSON body (keys too), a form field or a
  query parameter answer 422 naming the field (``tags[3]``, ``custom.note``, ``q``).

It runs inside the app (so it can render the localized error page for page routes) but
before every route and dependency, authentication included.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fenpei.domain.errors import FieldError
from fenpei.domain.limits import (
    MAX_NESTING,
    NESTING_MESSAGE,
    find_bad_value,
    nesting_exceeds,
    text_problem,
)

ErrorResponder = Callable[[Request, int, FieldError | None, str], Response]

# Bodies nested past this are refused unparsed (the parser recurses); below it, the parsed
# value is checked against MAX_NESTING so the answer can name the path that nests too deep.
PARSER_NESTING_LIMIT = 4 * MAX_NESTING
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


def _is_json(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind in ("", "application/json") or kind.endswith("+json")


def query_problem(query_string: bytes) -> FieldError | None:
    """The first query parameter (name or value) holding NUL, or None."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, errors="replace")
    for name, value in pairs:
        if problem := text_problem(name) or text_problem(value):
            return FieldError((text_problem(name) and "query") or name, problem)
    return None


def body_problem(body: bytes, content_type: str) -> FieldError | None:
    """What is wrong with a body's text or shape, named by its path, or None. Bodies that
    are not JSON or a form (and malformed JSON) are left to the route's own parser."""
    if not body:
        return None
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == _FORM:
        return query_problem(body)
    if not _is_json(content_type):
        return None
    if nesting_exceeds(body, PARSER_NESTING_LIMIT):
        return FieldError("body", NESTING_MESSAGE)
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None  # the route answers its own "not valid JSON" 422
    return find_bad_value(value, "")


class InputGuard:
    """ASGI middleware enforcing the limits above; see the module's docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_upload_bytes: int,
        respond: ErrorResponder,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refuse_head(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        content_type = _header(scope, b"content-type")
        cap = self._cap(content_type)
        body, complete = await _read_at_most(receive, cap)
        if not complete:
            if body is None:  # the client went away
                return
            await self._too_large(scope, cap)(scope, receive, send)
            return
        assert body is not None
        if (problem := body_problem(body, content_type)) is not None:
            await self._invalid(scope, problem)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _refuse_head(self, scope: Scope) -> Response | None:
        """A refusal decided from the request line and headers alone, or None."""
        if "\x00" in scope.get("path", ""):
            return self.respond(Request(scope), 404, None, "not found")
        if (problem := query_problem(scope.get("query_string", b""))) is not None:
            return self._invalid(scope, problem)
        declared = _header(scope, b"content-length")
        if declared:
            if not declared.isdigit():
                return self.respond(Request(scope), 400, None, "Content-Length: not a number")
            cap = self._cap(_header(scope, b"content-type"))
            if int(declared) > cap:
                return self._too_large(scope, cap)
        return None

    def _cap(self, content_type: str) -> int:
        return self.max_upload_bytes if content_type.startswith(_MULTIPART) else self.max_body_bytes

    def _too_large(self, scope: Scope, cap: int) -> Response:
        message = f"the request body is larger than the limit of {cap:,} bytes"
        response = self.respond(Request(scope), 413, None, message)
        response.headers["Connection"] = "close"  # the rest of the body is never read
        return response

    def _invalid(self, scope: Scope, problem: FieldError) -> Response:
        return self.respond(Request(scope), 422, problem, str(problem))


async def _read_at_most(receive: Receive, cap: int) -> tuple[bytes | None, bool]:
    """The body if it is at most ``cap`` bytes: ``(body, True)``; ``(partial, False)`` as
    soon as it passes the cap; ``(None, False)`` if the client disconnected."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            return b"", False
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the already read body to the app, then waits as before."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def install(
    app: Any, *, max_body_bytes: int, max_upload_bytes: int, respond: ErrorResponder
) -> None:
    """Add the guard to a Starlette / FastAPI app."""
    app.add_middleware(
        InputGuard,
        max_body_bytes=max_body_bytes,
        max_upload_bytes=max_upload_bytes,
        respond=respond,
    )
