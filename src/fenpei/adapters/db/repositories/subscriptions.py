"""Webhook subscriptions and their delivery log (services/notifications/ports.py)."""

from __future__ import annotations

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.events import Channel, Delivery
from fenpei.domain.subscriptions import WebhookSubscription


class SqlSubscriptions(Repository):
    def add(self, subscription: WebhookSubscription) -> None:
        self._add(subscription)

    def get(self, subscription_id: int, *, lock: bool = False) -> WebhookSubscription | None:
        return self.session.get(WebhookSubscription, subscription_id, with_for_update=lock or None)

    def by_name(self, name: str) -> WebhookSubscription | None:
        query = sa.select(WebhookSubscription).where(t.webhook_subscriptions.c.name == name)
        return self.session.scalars(query).one_or_none()

    def all(self) -> list[WebhookSubscription]:
        query = sa.select(WebhookSubscription).order_by(t.webhook_subscriptions.c.name)
        return list(self.session.scalars(query))

    def active(self) -> list[WebhookSubscription]:
        c = t.webhook_subscriptions.c
        query = sa.select(WebhookSubscription).where(c.active.is_(True)).order_by(c.name)
        return list(self.session.scalars(query))

    def delete(self, subscription: WebhookSubscription) -> None:
        self.session.delete(subscription)
        self.session.flush()

    def deliveries(self, name: str, *, limit: int = 50, offset: int = 0) -> list[Delivery]:
        c = t.deliveries.c
        query = (
            sa.select(Delivery)
            .where(c.channel == Channel.webhook, c.recipient == name)
            .order_by(c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(self.session.scalars(query))
