"""Webhook subscriptions (事件订阅): an integrator's URL that receives the events it asked
for as signed HTTP POSTs, delivered through the outbox like every other message.

The secret signs every request (HMAC-SHA256, see adapters/notify/webhook.py); it is shown
to the admin once, when the subscription is made or the secret rotated, and kept to sign
with (a hash would not do: the receiver needs the same key). ``name`` is the recipient of
its deliveries and never changes; ``events`` empty means every event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(eq=False)
class WebhookSubscription:
    name: str
    url: str
    secret: str
    created_at: datetime
    events: list[str] = field(default_factory=list)  # event type values; empty: all
    active: bool = True
    created_by: str | None = None
    id: int | None = None
