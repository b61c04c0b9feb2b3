"""Real local receivers for the notification senders: an SMTP server (aiosmtpd) and an HTTP
server standing in for WeCom, DingTalk and Feishu robots and an SMS gateway.

The robot receiver checks DingTalk's and Feishu's signatures the way those services
document them (written here from their documentation, not from the sender's code), refuses
a bad or stale one with the answer the service gives, and records every request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.message import Message as EmailHeaders
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

ONE_HOUR = 3600


def need_openssl() -> str:
    """The openssl command: skipped without it, but required in CI."""
    found = shutil.which("openssl")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the openssl command is needed to make test certificates")
        pytest.skip("the openssl command is not installed")
    return found


@dataclass(frozen=True)
class TlsFiles:
    cert: Path  # self-signed for 127.0.0.1 and localhost: also the CA to trust
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_tls_files(directory: Path) -> TlsFiles:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [need_openssl(), "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return TlsFiles(cert, key)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def refusing_port() -> Iterator[int]:
    """A port that is bound but not listening: connecting to it is refused, and no other
    process can take it while the test runs."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


# --- SMTP -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: bytes | None  # who logged in, if anyone
    tls: bool  # whether the message came over TLS

    def parsed(self) -> EmailMessage:
        mail = message_from_bytes(self.content, policy=default_policy)
        assert isinstance(mail, EmailMessage)
        return mail


@dataclass
class Mailbox:
    """An aiosmtpd handler keeping what it accepts; refuses the addresses in ``refuse``."""

    refuse: frozenset[str] = frozenset()
    received: list[ReceivedMail] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes) and envelope.mail_from is not None
        transport = server.transport
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        self.received.append(
            ReceivedMail(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                content=envelope.content,
                login=login if session.authenticated else None,
                tls=transport is not None and transport.get_extra_info("ssl_object") is not None,
            )
        )
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(
    *,
    security: Literal["none", "starttls", "ssl"],
    users: dict[str, str],
    tls: TlsFiles | None = None,
    refuse: frozenset[str] = frozenset(),
) -> Iterator[tuple[int, Mailbox]]:
    """A real SMTP server on 127.0.0.1 with AUTH for ``users``: plain (AUTH allowed without
    TLS), STARTTLS required before AUTH and mail, or TLS from the first byte."""

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and users.get(data.login.decode()) == (
            data.password.decode()
        )
        # handled=False: aiosmtpd itself answers 535 on a failure (True means "replied already").
        return AuthResult(success=ok, handled=False, auth_data=data)

    mailbox = Mailbox(refuse=refuse)
    options: dict[str, Any] = {"authenticator": authenticate, "auth_require_tls": False}
    if security == "starttls":
        assert tls is not None
        options |= {
            "tls_context": tls.server_context(),
            "require_starttls": True,
            "auth_require_tls": True,
            "auth_required": True,
        }
    ssl_context = tls.server_context() if security == "ssl" and tls is not None else None
    # aiosmtpd's Controller cannot take port 0 (its start-up check connects to the port).
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=free_port(),
        ssl_context=ssl_context,
        server_hostname="mail.test",
        **options,
    )
    controller.start()
    try:
        yield controller.port, mailbox
    finally:
        controller.stop()


# --- IM robots and an SMS gateway ----------------------------------------------------------


def dingtalk_expected_sign(secret: str, timestamp: str) -> str:
    """DingTalk: HMAC-SHA256 keyed by the secret over "timestamp\\nsecret", base64 (the URL
    carries it URL-encoded; parse_qs has already decoded it)."""
    string_to_sign = f"{timestamp}\n{secret}".encode()
    mac = hmac.new(secret.encode("utf-8"), string_to_sign, digestmod=hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def feishu_expected_sign(secret: str, timestamp: str) -> str:
    """Feishu: HMAC-SHA256 keyed by "timestamp\\nsecret" over nothing, base64."""
    mac = hmac.new(f"{timestamp}\n{secret}".encode(), digestmod=hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


@dataclass(frozen=True)
class Hit:
    """One request as the receiver saw it."""

    kind: str
    query: dict[str, list[str]]
    headers: EmailHeaders
    body: Any


WECOM_KEY = "wecom-key-0001"
SUCCESS: dict[str, tuple[int, Any]] = {
    "wecom": (200, {"errcode": 0, "errmsg": "ok"}),
    "dingtalk": (200, {"errcode": 0, "errmsg": "ok"}),
    "feishu": (200, {"StatusCode": 0, "StatusMessage": "success", "code": 0, "msg": "success"}),
    "sms": (202, b""),
}


class RobotReceiver:
    """``/wecom/send``, ``/dingtalk/send``, ``/feishu/hook`` and ``/sms/send`` on 127.0.0.1.

    ``forced`` answers every request with that status and JSON body instead; ``redirect``
    answers the next request with a 302 to that path (GET is answered like POST, so a client
    that followed it would succeed); ``hold()`` keeps every request waiting until ``reset()``
    or ``close()``. One receiver serves many tests: ``reset()`` between them."""

    def __init__(self, *, dingtalk_secret: str, feishu_secret: str, sms_token: str) -> None:
        self.dingtalk_secret, self.feishu_secret = dingtalk_secret, feishu_secret
        self.sms_token = sms_token
        self.hits: list[Hit] = []
        self.forced: tuple[int, Any] | None = None
        self.redirect: str | None = None
        self._held: threading.Event | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._serve(self)

            def do_GET(self) -> None:
                receiver._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = False  # server_close() waits for every handler

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def hold(self) -> None:
        self._held = threading.Event()

    def reset(self) -> None:
        if self._held is not None:
            self._held.set()
        self._held, self.forced, self.redirect = None, None, None
        self.hits = []

    def close(self) -> None:
        self.reset()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        kind = parts.path.strip("/").split("/")[0]
        raw = request.rfile.read(int(request.headers.get("Content-Length", "0")))
        body = json.loads(raw) if raw else None
        hit = Hit(kind, parse_qs(parts.query), request.headers, body)
        self.hits.append(hit)
        held = self._held
        if held is not None:
            held.wait()
        status, answer = self.forced or self._answer(hit)
        payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        redirect, self.redirect = self.redirect, None  # once: a follower then succeeds
        try:
            if redirect is not None:
                status, payload = 302, b""
            request.send_response(status)
            if redirect is not None:
                request.send_header("Location", self.url(redirect))
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(payload)))
            request.end_headers()
            request.wfile.write(payload)
        except OSError:  # the client gave up waiting (the timeout test)
            pass

    def _answer(self, hit: Hit) -> tuple[int, Any]:
        if hit.kind == "wecom" and hit.query.get("key") != [WECOM_KEY]:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        if hit.kind == "dingtalk" and not self._dingtalk_signed(hit):
            return 200, {"errcode": 310000, "errmsg": "sign not match"}
        if hit.kind == "feishu" and not self._feishu_signed(hit):
            return 200, {
                "code": 19021,
                "msg": "sign match fail or timestamp is not within one hour",
            }
        if hit.kind == "sms" and hit.headers.get("Authorization") != f"Bearer {self.sms_token}":
            return 401, {"error": "unauthorized"}
        return SUCCESS.get(hit.kind, (404, {"error": "no such hook"}))

    def _dingtalk_signed(self, hit: Hit) -> bool:
        timestamps, signs = hit.query.get("timestamp", []), hit.query.get("sign", [])
        if len(timestamps) != 1 or len(signs) != 1 or not timestamps[0].isdigit():
            return False
        # Milliseconds, within an hour of the receiver's clock.
        if abs(time.time() * 1000 - int(timestamps[0])) > ONE_HOUR * 1000:
            return False
        expected = dingtalk_expected_sign(self.dingtalk_secret, timestamps[0])
        return hmac.compare_digest(signs[0], expected)

    def _feishu_signed(self, hit: Hit) -> bool:
        if not isinstance(hit.body, dict):
            return False
        timestamp, sign = hit.body.get("timestamp"), hit.body.get("sign")
        if not isinstance(sign, str) or not str(timestamp).isdigit():
            return False
        # Seconds, within an hour of the receiver's clock.
        if abs(time.time() - int(str(timestamp))) > ONE_HOUR:
            return False
        return hmac.compare_digest(sign, feishu_expected_sign(self.feishu_secret, str(timestamp)))
