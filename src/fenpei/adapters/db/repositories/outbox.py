"""The outbox, its deliveries and the in-app inbox (services/notifications/ports.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository, core_row
from fenpei.domain.events import Delivery, DeliveryStatus, Notification, OutboxEvent


class SqlOutbox(Repository):
    def add(self, event: OutboxEvent) -> None:
        self.session.add(event)  # flushed with the change it tells of

    def add_now(self, event: OutboxEvent) -> None:
        self.session.add(event)
        self.session.flush()

    def claim_unexpanded(self, *, limit: int) -> list[OutboxEvent]:
        # SKIP LOCKED: a second worker takes the next events instead of waiting for these.
        # SQLite has one writer at a time (BEGIN IMMEDIATE), which serialises the claim.
        query = (
            sa.select(OutboxEvent)
            .where(t.outbox_events.c.expanded_at.is_(None))
            .order_by(t.outbox_events.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(query))

    def event(self, event_id: int) -> OutboxEvent | None:
        return self.session.get(OutboxEvent, event_id)

    def events(self, event_ids: Sequence[int]) -> list[OutboxEvent]:
        query = sa.select(OutboxEvent).where(t.outbox_events.c.id.in_(list(event_ids)))
        return list(self.session.scalars(query))

    def add_deliveries(self, deliveries: Sequence[Delivery]) -> int:
        return insert_new(
            self.session, t.deliveries, [core_row(t.deliveries, d) for d in deliveries]
        )

    def claim_due(
        self, *, now: datetime, limit: int, owner: str, lease_until: datetime
    ) -> list[Delivery]:
        c = t.deliveries.c
        due = sa.or_(
            sa.and_(c.status == DeliveryStatus.pending, c.next_attempt_at <= now),
            sa.and_(c.status == DeliveryStatus.sending, c.lease_until < now),
        )
        query = (
            sa.select(Delivery)
            .where(due)
            .order_by(c.next_attempt_at, c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = list(self.session.scalars(query))
        for delivery in claimed:
            delivery.status = DeliveryStatus.sending
            delivery.lease_owner, delivery.lease_until = owner, lease_until
        self.session.flush()
        return claimed

    def delivery(self, delivery_id: int, *, lock: bool = False) -> Delivery | None:
        return self.session.get(Delivery, delivery_id, with_for_update=lock or None)

    def held(self, delivery_ids: Sequence[int], *, owner: str) -> list[Delivery]:
        c = t.deliveries.c
        query = (
            sa.select(Delivery)
            .where(
                c.id.in_(list(delivery_ids)),
                c.status == DeliveryStatus.sending,
                c.lease_owner == owner,
            )
            .order_by(c.id)
            .with_for_update()
        )
        return list(self.session.scalars(query))

    def deliveries(
        self, *, status: DeliveryStatus | None = None, limit: int = 100, offset: int = 0
    ) -> list[Delivery]:
        query = sa.select(Delivery).order_by(t.deliveries.c.id.desc()).limit(limit).offset(offset)
        if status is not None:
            query = query.where(t.deliveries.c.status == status)
        return list(self.session.scalars(query))

    def counts(self) -> dict[DeliveryStatus, int]:
        c = t.deliveries.c
        rows = self.session.execute(sa.select(c.status, sa.func.count()).group_by(c.status))
        found = {DeliveryStatus(status): int(n) for status, n in rows}
        return {status: found.get(status, 0) for status in DeliveryStatus}

    def pending_events(self) -> int:
        c = t.outbox_events.c
        query = sa.select(sa.func.count()).where(c.expanded_at.is_(None))
        return int(self.session.scalar(query) or 0)


class SqlInbox(Repository):
    def add_many(self, notes: Sequence[Notification]) -> int:
        rows = [core_row(t.notifications, note) for note in notes]
        return insert_new(self.session, t.notifications, rows)

    def for_user(
        self, user_id: int, *, unread_only: bool = False, limit: int = 50, offset: int = 0
    ) -> list[Notification]:
        c = t.notifications.c
        query = (
            sa.select(Notification)
            .where(c.user_id == user_id)
            .order_by(c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if unread_only:
            query = query.where(c.read_at.is_(None))
        return list(self.session.scalars(query))

    def unread_count(self, user_id: int) -> int:
        c = t.notifications.c
        query = sa.select(sa.func.count()).where(c.user_id == user_id, c.read_at.is_(None))
        return int(self.session.scalar(query) or 0)

    def created_between(
        self, user_id: int, *, since: datetime, until: datetime
    ) -> list[Notification]:
        c = t.notifications.c
        query = (
            sa.select(Notification)
            .where(c.user_id == user_id, c.created_at >= since, c.created_at < until)
            .order_by(c.created_at, c.id)
        )
        return list(self.session.scalars(query))

    def mark_read(self, user_id: int, *, ids: Sequence[int] | None, now: datetime) -> int:
        c = t.notifications.c
        update = (
            sa.update(t.notifications)
            .where(c.user_id == user_id, c.read_at.is_(None))
            .values(read_at=now)
            .execution_options(synchronize_session=False)
        )
        if ids is not None:
            update = update.where(c.id.in_(list(ids)))
        result = self.session.execute(update)
        assert isinstance(result, sa.CursorResult)
        return result.rowcount


def insert_new(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> int:
    """INSERT … ON CONFLICT DO NOTHING on either database: rows whose unique key is taken
    (by an earlier run, or a concurrent worker) are skipped; how many were inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    key = next(iter(table.primary_key.columns))
    # RETURNING counts what went in, on both drivers, also for many rows at once.
    return len(session.execute(insert.on_conflict_do_nothing().returning(key), rows).all())
