"""A real local HTTP receiver for outgoing webhooks, checking every request the way an
integrator would, from the documented contract (adapters/notify/webhook.py's docstring)
rather than from the sender's code: ``X-Fenpei-Signature`` must be ``sha256=`` and the hex
HMAC-SHA256, keyed with the subscription's secret, of ``<X-Fenpei-Timestamp>.<raw body>``,
and the timestamp within five minutes of the receiver's own clock. A bad or stale request
is refused with 401 and not accepted."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from email.message import Message as Headers
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE = 300  # seconds either side of the receiver's clock


def expected_signature(secret: str, timestamp: str, raw: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + raw, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True)
class Post:
    """One request as it arrived, and what the receiver made of it."""

    path: str
    headers: Headers
    raw: bytes
    verdict: str  # "accepted", or why it was refused

    @property
    def body(self) -> Any:
        return json.loads(self.raw)

    @property
    def accepted(self) -> bool:
        return self.verdict == "accepted"


class WebhookReceiver:
    """Integrators' endpoints at ``/hooks/<anything>`` on 127.0.0.1, one secret per path
    (``expect``). ``fail_with`` answers every request with that status instead (after
    checking it); ``reset()`` between tests."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.posts: list[Post] = []
        self.fail_with: int | None = None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def expect(self, path: str, secret: str) -> str:
        """Accept requests to ``path`` signed with ``secret``; the URL to subscribe."""
        self.secrets[path] = secret
        return self.url(path)

    def accepted(self, path: str | None = None) -> list[Post]:
        return [p for p in self.posts if p.accepted and (path is None or p.path == path)]

    def reset(self) -> None:
        self.secrets, self.posts, self.fail_with = {}, [], None

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _verdict(self, path: str, headers: Headers, raw: bytes) -> str:
        secret = self.secrets.get(path)
        if secret is None:
            return "unknown endpoint"
        timestamp = headers.get("X-Fenpei-Timestamp") or ""
        signature = headers.get("X-Fenpei-Signature") or ""
        if not timestamp.isdigit():
            return "no timestamp"
        if abs(time.time() - int(timestamp)) > TOLERANCE:
            return "stale timestamp"
        if not hmac.compare_digest(signature, expected_signature(secret, timestamp, raw)):
            return "bad signature"
        return "accepted"

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        raw = request.rfile.read(int(request.headers.get("Content-Length", "0")))
        verdict = self._verdict(request.path, request.headers, raw)
        if verdict == "accepted" and self.fail_with is not None:
            verdict = f"failed with {self.fail_with}"
            status = self.fail_with
        else:
            status = 204 if verdict == "accepted" else 401
        with self._lock:
            self.posts.append(Post(request.path, request.headers, raw, verdict))
        request.send_response(status)
        request.send_header("Content-Length", "0")
        request.end_headers()
