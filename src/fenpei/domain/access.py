"""Access records: API tokens for integrations, failed-login counters, idempotent requests,
receipts of signed webhook requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(eq=False)
class ApiToken:
    """A token an integration presents instead of a session; only its hash is kept.

    ``prefix`` is the public half (shown in lists and logs); ``scopes`` limit what the
    token may do beyond its user's role (e.g. ``leads:write``)."""

    name: str
    user_id: int
    prefix: str
    secret_hash: str
    created_at: datetime
    scopes: list[str] = field(default_factory=list)
    created_by: str | None = None
    id: int | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


@dataclass(eq=False)
class LoginFailures:
    """Failed logins counted under a key (a username, or a client address)."""

    key: str
    failures: int
    first_failed_at: datetime
    locked_until: datetime | None = None


@dataclass(eq=False)
class IdempotentRequest:
    """The first answer to a POST carrying an ``Idempotency-Key``.

    ``fingerprint`` identifies the request body, so the same key for another request is a
    conflict; ``object_id`` is what the first request created and ``response`` what it
    answered (replayed as it was)."""

    key: str
    kind: str
    fingerprint: str
    object_id: int
    created_at: datetime
    response: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class WebhookReceipt:
    """A signed webhook request that was accepted, kept until its time window ends so the
    same bytes sent again are refused as a replay. ``digest`` is a hash of the signature
    (which covers the token, the timestamp and the body), never the body itself."""

    digest: str
    expires_at: datetime
