"""``FakeOutbox``, ``FakeInbox`` and ``FakeJobRuns`` over the store, mirroring the SQL
repositories in adapters/db/repositories/outbox.py and jobs.py (one worker at a time)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fenpei.domain.events import Delivery, DeliveryStatus, Notification, OutboxEvent
from fenpei.domain.jobs import JobRun, JobStatus
from tests.fakes.store import Store


class FakeOutbox:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, event: OutboxEvent) -> None:
        self._store.add(self._store.outbox_events, event)

    def add_now(self, event: OutboxEvent) -> None:
        self.add(event)

    def claim_unexpanded(self, *, limit: int) -> list[OutboxEvent]:
        fresh = [e for e in self._store.outbox_events if e.expanded_at is None]
        return sorted(fresh, key=lambda e: e.id or 0)[:limit]

    def event(self, event_id: int) -> OutboxEvent | None:
        return self._store.outbox_events.rows.get(event_id)

    def events(self, event_ids: Sequence[int]) -> list[OutboxEvent]:
        rows = self._store.outbox_events.rows
        return [rows[i] for i in sorted(set(event_ids)) if i in rows]

    def add_deliveries(self, deliveries: Sequence[Delivery]) -> int:
        table = self._store.deliveries
        taken = {d.key for d in table}
        new = [d for d in deliveries if d.key not in taken]
        for delivery in new:
            self._store.add(table, delivery)
        return len(new)

    def claim_due(
        self, *, now: datetime, limit: int, owner: str, lease_until: datetime
    ) -> list[Delivery]:
        def due(d: Delivery) -> bool:
            if d.status is DeliveryStatus.pending:
                return d.next_attempt_at <= now
            return (
                d.status is DeliveryStatus.sending
                and d.lease_until is not None
                and (d.lease_until < now)
            )

        claimed = sorted(
            (d for d in self._store.deliveries if due(d)),
            key=lambda d: (d.next_attempt_at, d.id or 0),
        )[:limit]
        for delivery in claimed:
            delivery.status = DeliveryStatus.sending
            delivery.lease_owner, delivery.lease_until = owner, lease_until
        return claimed

    def delivery(self, delivery_id: int, *, lock: bool = False) -> Delivery | None:
        return self._store.deliveries.rows.get(delivery_id)

    def held(self, delivery_ids: Sequence[int], *, owner: str) -> list[Delivery]:
        rows = self._store.deliveries.rows
        found = [rows[i] for i in sorted(set(delivery_ids)) if i in rows]
        return [d for d in found if d.status is DeliveryStatus.sending and d.lease_owner == owner]

    def deliveries(
        self, *, status: DeliveryStatus | None = None, limit: int = 100, offset: int = 0
    ) -> list[Delivery]:
        found = [d for d in self._store.deliveries if status is None or d.status is status]
        found.sort(key=lambda d: d.id or 0, reverse=True)
        return found[offset : offset + limit]

    def counts(self) -> dict[DeliveryStatus, int]:
        statuses = [d.status for d in self._store.deliveries]
        return {status: statuses.count(status) for status in DeliveryStatus}

    def pending_events(self) -> int:
        return sum(1 for e in self._store.outbox_events if e.expanded_at is None)


class FakeInbox:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add_many(self, notes: Sequence[Notification]) -> int:
        table = self._store.notifications
        taken = {(n.user_id, n.event_key) for n in table}
        new = [n for n in notes if (n.user_id, n.event_key) not in taken]
        for note in new:
            self._store.add(table, note)
        return len(new)

    def for_user(
        self, user_id: int, *, unread_only: bool = False, limit: int = 50, offset: int = 0
    ) -> list[Notification]:
        found = [
            n
            for n in self._store.notifications
            if n.user_id == user_id and not (unread_only and n.read_at is not None)
        ]
        found.sort(key=lambda n: n.id or 0, reverse=True)
        return found[offset : offset + limit]

    def unread_count(self, user_id: int) -> int:
        return len(self.for_user(user_id, unread_only=True, limit=10**9))

    def created_between(
        self, user_id: int, *, since: datetime, until: datetime
    ) -> list[Notification]:
        found = [
            n
            for n in self._store.notifications
            if n.user_id == user_id and since <= n.created_at < until
        ]
        return sorted(found, key=lambda n: (n.created_at, n.id or 0))

    def mark_read(self, user_id: int, *, ids: Sequence[int] | None, now: datetime) -> int:
        marked = [
            n
            for n in self.for_user(user_id, unread_only=True, limit=10**9)
            if ids is None or n.id in ids
        ]
        for note in marked:
            note.read_at = now
        return len(marked)


class FakeJobRuns:
    def __init__(self, store: Store) -> None:
        self._store = store

    def start(self, run: JobRun) -> bool:
        if (run.job, run.slot) in self._store.job_runs:
            return False
        self._store.job_runs[(run.job, run.slot)] = run
        return True

    def finish(
        self, *, job: str, slot: int, status: JobStatus, summary: str | None, now: datetime
    ) -> None:
        run = self._store.job_runs[(job, slot)]
        run.status, run.summary, run.finished_at = status, summary, now

    def history(self, *, job: str | None = None, limit: int = 50) -> list[JobRun]:
        runs = [r for r in self._store.job_runs.values() if job is None or r.job == job]
        runs.sort(key=lambda r: (r.started_at, r.job), reverse=True)
        return runs[:limit]

    def last(self, job: str) -> JobRun | None:
        runs = self.history(job=job, limit=1)
        return runs[0] if runs else None
