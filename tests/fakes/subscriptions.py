"""``FakeSubscriptions`` over the store, mirroring adapters/db/repositories/subscriptions.py."""

from __future__ import annotations

from fenpei.domain.events import Channel, Delivery
from fenpei.domain.subscriptions import WebhookSubscription
from tests.fakes.store import Store


class FakeSubscriptions:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, subscription: WebhookSubscription) -> None:
        self._store.add(self._store.webhook_subscriptions, subscription)

    def get(self, subscription_id: int, *, lock: bool = False) -> WebhookSubscription | None:
        if lock:
            self._store.lock("subscription", [subscription_id])
        return self._store.webhook_subscriptions.rows.get(subscription_id)

    def by_name(self, name: str) -> WebhookSubscription | None:
        return next((s for s in self._store.webhook_subscriptions if s.name == name), None)

    def all(self) -> list[WebhookSubscription]:
        return sorted(self._store.webhook_subscriptions, key=lambda s: s.name)

    def active(self) -> list[WebhookSubscription]:
        return [s for s in self.all() if s.active]

    def delete(self, subscription: WebhookSubscription) -> None:
        self._store.delete(self._store.webhook_subscriptions, subscription.id)

    def deliveries(self, name: str, *, limit: int = 50, offset: int = 0) -> list[Delivery]:
        found = [
            d
            for d in self._store.deliveries
            if d.channel is Channel.webhook and d.recipient == name
        ]
        found.sort(key=lambda d: d.id or 0, reverse=True)
        return found[offset : offset + limit]
