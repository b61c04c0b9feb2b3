"""Outgoing webhooks: each message to an integrator's subscription is POSTed as JSON,
signed the way fenpei's incoming webhooks are (services/webhooks.py), so one verifier
serves both directions:

    POST <the subscription's url>
    Content-Type: application/json; charset=utf-8
    X-Fenpei-Event: customer.assigned
    X-Fenpei-Delivery: <the dedupe key: the same on every retry of this message>
    X-Fenpei-Timestamp: <seconds since 1970, UTC>
    X-Fenpei-Signature: sha256=<hex HMAC-SHA256 keyed with the secret over f"{timestamp}.{body}">

    {"id": <the dedupe key>, "type": "customer.assigned", "occurred_at": "<ISO 8601>",
     "data": {<the event's payload>}}

A 2xx answer means delivered; anything else (another status, a refused connection, no
answer within the timeout) raises ``SendFailed`` and the dispatcher tries again later.
The subscription is read at send time (``load``), so a new URL or rotated secret applies
from the next attempt; a deleted one fails (and ends as a dead letter)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

from fenpei.adapters.notify._dedupe import DEDUPE_HEADER, header_value
from fenpei.adapters.notify._http import post_json
from fenpei.adapters.notify.errors import SendFailed
from fenpei.domain.events import EventType, Message
from fenpei.domain.subscriptions import WebhookSubscription

TIMEOUT = 10.0
EVENT_HEADER = "X-Fenpei-Event"
DELIVERY_HEADER = "X-Fenpei-Delivery"
TIMESTAMP_HEADER = "X-Fenpei-Timestamp"
SIGNATURE_HEADER = "X-Fenpei-Signature"

Loader = Callable[[str], WebhookSubscription | None]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 keyed with the secret's UTF-8 over ``timestamp.body``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body_of(message: Message) -> dict[str, Any]:
    """The JSON a receiver gets for ``message`` (the dispatcher puts the event in ``extra``)."""
    return {
        "id": message.key,
        "type": message.extra.get("event"),
        "occurred_at": message.extra.get("occurred_at"),
        "data": message.extra.get("payload", {}),
    }


class WebhookSender:
    """Sends messages to webhook subscriptions; the recipient is the subscription's name."""

    def __init__(
        self, load: Loader, *, timeout: float = TIMEOUT, clock: Callable[[], float] = time.time
    ) -> None:
        self._load = load
        self._timeout = timeout
        self._clock = clock  # the signed timestamp: receivers refuse stale ones

    def send(self, recipient: str, message: Message) -> None:
        """POST ``message`` to the subscription named ``recipient``; raise unless a 2xx."""
        subscription = self._load(recipient)
        what = f"webhook subscription {recipient!r}"
        if subscription is None:
            raise SendFailed(f"{what} no longer exists")
        # An inactive subscription gets nothing, but a test event an admin sent it.
        if not subscription.active and message.extra.get("event") != EventType.test.value:
            raise SendFailed(f"{what} is inactive")
        # Signed over the exact bytes sent: serialised here, not by post_json.
        raw = json.dumps(body_of(message), ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(self._clock()))
        post_json(
            subscription.url,
            raw,
            headers={
                EVENT_HEADER: str(message.extra.get("event", "")),
                DELIVERY_HEADER: header_value(message.key),
                DEDUPE_HEADER: header_value(message.key),
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(subscription.secret, timestamp, raw),
            },
            timeout=self._timeout,
            what=what,
        )
