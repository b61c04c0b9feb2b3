"""Headers every response carries: security headers, and a request id that ties what a
user sees on an error page to the line in the log."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Only the app's own (vendored) scripts and styles: no inline script, no inline style, no
# eval; nothing may frame the pages. htmx is configured to match (base.html's htmx-config).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# FastAPI's /docs page is Swagger UI with an inline script: it keeps the framing and
# sniffing protections but not the script policy.
_DOCS_POLICY = "frame-ancestors 'none'"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
REQUEST_ID_HEADER = "X-Request-ID"


def request_id(scope: Scope) -> str:
    """The id of the request being served (set by ``ResponseHeaders``), or "-"."""
    state: dict[str, Any] = scope.get("state", {})
    return str(state.get("request_id", "-"))


class ResponseHeaders:
    """ASGI middleware: give the request an id and every response the headers above."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = uuid.uuid4().hex[:12]
        scope.setdefault("state", {})["request_id"] = rid
        policy = (
            _DOCS_POLICY if scope.get("path", "").startswith("/docs") else CONTENT_SECURITY_POLICY
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers[REQUEST_ID_HEADER] = rid
            await send(message)

        await self.app(scope, receive, send_with_headers)
