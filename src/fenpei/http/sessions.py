"""Signed session cookies: who is logged in and until when, tamper-evident with HMAC-SHA256.

Pure: the secret and the time are arguments. A token is ``<payload>.<signature>``, both
base64url without padding; the payload is compact JSON ``{"uid", "usr", "ver", "exp"}``.

``ver`` is the user's session version when the session began. Raising the version in the
database (logout, a password change or reset, deactivation) ends every session signed with
an older one: ``http.deps.get_session_user`` compares them on each request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeGuard

SESSION_COOKIE = "fenpei_session"
SESSION_LIFETIME = timedelta(hours=12)
# Keys derived for one purpose cannot verify tokens made for another (e.g. CSRF, later).
_PURPOSE = b"fenpei.session.v1"
_MAX_TOKEN_LENGTH = 1024


@dataclass(frozen=True)
class Session:
    """A logged-in user, as remembered by the cookie (the user is re-read on every request)."""

    user_id: int
    username: str
    expires_at: datetime
    version: int = 0


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str, secret: str) -> str:
    key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()
    return _b64encode(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def start_session(*, user_id: int, username: str, now: datetime, version: int = 0) -> Session:
    """A session for this user (at their session ``version``) that ends ``SESSION_LIFETIME``
    from ``now``."""
    return Session(
        user_id=user_id, username=username, expires_at=now + SESSION_LIFETIME, version=version
    )


def sign_session(session: Session, *, secret: str) -> str:
    """The cookie value for ``session``."""
    body = {
        "uid": session.user_id,
        "usr": session.username,
        "ver": session.version,
        "exp": int(session.expires_at.timestamp()),
    }
    payload = _b64encode(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_signature(payload, secret)}"


def read_session(token: str, *, secret: str, now: datetime) -> Session | None:
    """The session in ``token``, or None if it is malformed, tampered with or expired."""
    if len(token) > _MAX_TOKEN_LENGTH or token.count(".") != 1:
        return None
    payload, signature = token.split(".")
    try:
        expected = _signature(payload, secret)
    except UnicodeEncodeError:
        return None
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return None
    try:
        body = json.loads(_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(body, dict):
        return None
    user_id, username, expires = body.get("uid"), body.get("usr"), body.get("exp")
    version = body.get("ver")
    if not (
        _is_int(user_id) and isinstance(username, str) and _is_int(expires) and _is_int(version)
    ):
        return None
    try:
        expires_at = datetime.fromtimestamp(expires, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    if expires_at <= now:
        return None
    return Session(user_id=user_id, username=username, expires_at=expires_at, version=version)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
