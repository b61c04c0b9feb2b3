"""Signed webhook requests: for senders that cannot keep a bearer token but can sign.

The sender names a token by its prefix and signs ``f"{timestamp}." + body`` with
HMAC-SHA256 under the token's webhook secret. That secret is derived from the server's
secret key and the prefix, so nothing more is stored; changing ``FENPEI_SECRET_KEY``
changes every webhook secret (and ends every session).

A signed request is good for ``MAX_CLOCK_SKEW`` either side of its timestamp, and only
once: an accepted one leaves a receipt (a hash of its signature, kept until that window
ends) in the caller's transaction, whose primary key refuses the same bytes again, also
when two copies arrive at once. A request that fails leaves none (nothing is committed),
so it can be sent again as it was.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from fenpei.domain.access import ApiToken, WebhookReceipt
from fenpei.domain.errors import Conflict, CredentialsRefused
from fenpei.domain.users import User
from fenpei.services import tokens
from fenpei.services.ports import UnitOfWork

TOKEN_HEADER = "X-Fenpei-Token-Id"
TIMESTAMP_HEADER = "X-Fenpei-Timestamp"
SIGNATURE_HEADER = "X-Fenpei-Signature"
SIGNATURE_SCHEME = "sha256="
MAX_CLOCK_SKEW = timedelta(minutes=5)
# Keys derived for one purpose cannot sign for another (sessions use their own).
_PURPOSE = b"fenpei.webhook.v1:"
# Expired receipts deleted with each new one: more than arrive, so the table stays small.
PURGE_BATCH = 20


class WebhookReplayed(Conflict):
    """This exact signed request was accepted already (a replay, or a retry of the same
    bytes); the message says how to retry."""

    code = "webhook_replayed"

    def __init__(self) -> None:
        super().__init__(
            "this signed request was already accepted; a request is processed once. To "
            f"retry, sign it again with a new {TIMESTAMP_HEADER} (send the same "
            "Idempotency-Key with both to get the first answer instead of a second lead)"
        )


def webhook_secret(*, secret_key: str, prefix: str) -> str:
    """The secret a sender signs with for the token ``prefix`` (hex; derived, never stored)."""
    return hmac.new(secret_key.encode(), _PURPOSE + prefix.encode(), hashlib.sha256).hexdigest()


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``f"{timestamp}." + body``, keyed with ``secret``'s
    text (UTF-8)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_SCHEME + mac.hexdigest()


def verify_signed_request(
    *,
    uow: UnitOfWork,
    secret_key: str,
    token_id: str | None,
    timestamp: str | None,
    signature_header: str | None,
    body: bytes,
    now: datetime,
) -> tuple[User, ApiToken]:
    """The signing token and its user, if the body is signed by a usable token within
    ``MAX_CLOCK_SKEW`` of ``now``; otherwise CredentialsRefused naming the header at fault.

    The request's receipt is written in ``uow`` (committed with what the caller does): the
    same signed request again is WebhookReplayed, once this one has committed."""
    given = {
        TOKEN_HEADER: token_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature_header,
    }
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise CredentialsRefused(f"missing header(s): {', '.join(missing)}")
    assert token_id and timestamp and signature_header
    _check_timestamp(timestamp, now=now)
    found = None
    if tokens.is_prefix(token_id):
        token = uow.tokens.by_prefix(token_id)
        found = tokens.owner_if_usable(uow=uow, token=token, now=now) if token else None
    if found is None:
        raise CredentialsRefused(f"{TOKEN_HEADER}: unknown, revoked or expired token")
    secret = webhook_secret(secret_key=secret_key, prefix=token_id)
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature_header.encode("utf-8", "replace")):
        raise CredentialsRefused(
            f"{SIGNATURE_HEADER}: does not match; expected sha256=<hex HMAC-SHA256 of "
            f"'<{TIMESTAMP_HEADER}>.' followed by the raw body, keyed with the webhook secret>"
        )
    _accept_once(uow, token_id=token_id, timestamp=timestamp, signature=signature_header, now=now)
    return found


def _accept_once(
    uow: UnitOfWork, *, token_id: str, timestamp: str, signature: str, now: datetime
) -> None:
    """Write the request's receipt, or refuse it as a replay; drop a few expired receipts."""
    # The signature covers the timestamp and the body, under the token's own secret; the
    # prefix and timestamp are hashed with it anyway, so the key depends on nothing subtle.
    digest = hashlib.sha256(f"{token_id}.{timestamp}.{signature}".encode()).hexdigest()
    # The last moment _check_timestamp accepts this request: replays after it are stale.
    window_ends = datetime.fromtimestamp(int(timestamp), UTC) + MAX_CLOCK_SKEW
    uow.webhook_receipts.purge_expired(now=now, limit=PURGE_BATCH)
    try:
        uow.webhook_receipts.add(WebhookReceipt(digest=digest, expires_at=window_ends))
    except Conflict:
        raise WebhookReplayed() from None


def _check_timestamp(timestamp: str, *, now: datetime) -> None:
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise CredentialsRefused(f"{TIMESTAMP_HEADER}: must be whole seconds since 1970 (UTC)")
    skew = abs(now.timestamp() - int(timestamp))
    if skew > MAX_CLOCK_SKEW.total_seconds():
        raise CredentialsRefused(
            f"{TIMESTAMP_HEADER}: {skew:.0f} s away from the server's clock, at most "
            f"{MAX_CLOCK_SKEW.total_seconds():.0f} s allowed; sign with the current time"
        )
