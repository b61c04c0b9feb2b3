"""What delivering messages needs from the outside world: the outbox and inbox tables, the
webhook subscriptions, the users' notification preferences, and a sender per channel."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from fenpei.domain.events import Delivery, DeliveryStatus, Message, Notification, OutboxEvent
from fenpei.domain.preferences import NotificationPreferences, RoleNotificationDefaults
from fenpei.domain.subscriptions import WebhookSubscription
from fenpei.domain.users import Role


class OutboxRepository(Protocol):
    def add(self, event: OutboxEvent) -> None:
        """Write an event in the current transaction (it is sent only if that commits)."""
        ...

    def add_now(self, event: OutboxEvent) -> None:
        """Write an event at once, in the current transaction, so it has an id to deliver."""
        ...

    def claim_unexpanded(self, *, limit: int) -> list[OutboxEvent]:
        """The oldest events not yet turned into deliveries, locked; rows another worker
        holds are skipped (PostgreSQL), so two workers never expand the same event."""
        ...

    def event(self, event_id: int) -> OutboxEvent | None: ...
    def events(self, event_ids: Sequence[int]) -> list[OutboxEvent]: ...

    def add_deliveries(self, deliveries: Sequence[Delivery]) -> int:
        """Insert, skipping any whose key exists; how many were new."""
        ...

    def claim_due(
        self, *, now: datetime, limit: int, owner: str, lease_until: datetime
    ) -> list[Delivery]:
        """Lease up to ``limit`` deliveries to ``owner``: pending ones that are due and ones
        whose lease ran out (their worker died), oldest first, skipping rows another worker
        holds. The lease is written in this transaction."""
        ...

    def delivery(self, delivery_id: int, *, lock: bool = False) -> Delivery | None: ...

    def held(self, delivery_ids: Sequence[int], *, owner: str) -> list[Delivery]:
        """Those of ``delivery_ids`` still leased to ``owner`` (sending), locked."""
        ...

    def deliveries(
        self, *, status: DeliveryStatus | None = None, limit: int = 100, offset: int = 0
    ) -> list[Delivery]:
        """Newest first."""
        ...

    def counts(self) -> dict[DeliveryStatus, int]: ...

    def pending_events(self) -> int:
        """Events not yet turned into deliveries."""
        ...


class InboxRepository(Protocol):
    def add_many(self, notes: Sequence[Notification]) -> int:
        """Insert, skipping a user's repeat of an event; how many were new."""
        ...

    def for_user(
        self, user_id: int, *, unread_only: bool = False, limit: int = 50, offset: int = 0
    ) -> list[Notification]:
        """Newest first."""
        ...

    def unread_count(self, user_id: int) -> int: ...

    def created_between(
        self, user_id: int, *, since: datetime, until: datetime
    ) -> list[Notification]:
        """The user's notifications created at or after ``since`` and before ``until``,
        oldest first (what a daily digest lists)."""
        ...

    def mark_read(self, user_id: int, *, ids: Sequence[int] | None, now: datetime) -> int:
        """Mark the user's notifications ``ids`` (all when None) read; how many changed."""
        ...


class Sender(Protocol):
    """Sends one rendered message to one recipient on one channel; raises on failure (the
    message is then retried), returns normally once the receiver has accepted it."""

    def send(self, recipient: str, message: Message) -> None: ...


class SubscriptionRepository(Protocol):
    """Integrators' webhook subscriptions, and the log of what was sent to each."""

    def add(self, subscription: WebhookSubscription) -> None:
        """Insert at once; Conflict if a concurrent transaction took the name."""
        ...

    def get(self, subscription_id: int, *, lock: bool = False) -> WebhookSubscription | None: ...
    def by_name(self, name: str) -> WebhookSubscription | None: ...
    def all(self) -> list[WebhookSubscription]:
        """By name."""
        ...

    def active(self) -> list[WebhookSubscription]:
        """The active ones, by name: the standing recipients the dispatcher adds."""
        ...

    def delete(self, subscription: WebhookSubscription) -> None: ...

    def deliveries(self, name: str, *, limit: int = 50, offset: int = 0) -> list[Delivery]:
        """The webhook deliveries to the subscription ``name``, newest first."""
        ...


class PreferenceRepository(Protocol):
    """Users' notification preferences and the admins' defaults per role."""

    def get(self, user_id: int) -> NotificationPreferences | None: ...

    def for_users(self, user_ids: Collection[int]) -> list[NotificationPreferences]:
        """Those of ``user_ids`` who chose anything (one query, for a dispatch batch)."""
        ...

    def add(self, prefs: NotificationPreferences) -> None: ...

    def digest_users(self) -> list[NotificationPreferences]:
        """The preferences of the users who take the daily digest, by user, locked for this
        transaction (a second run waits, then sees what the first wrote)."""
        ...

    def role_default(self, role: Role) -> RoleNotificationDefaults | None: ...
    def role_defaults(self) -> list[RoleNotificationDefaults]: ...
    def add_role_default(self, defaults: RoleNotificationDefaults) -> None: ...
