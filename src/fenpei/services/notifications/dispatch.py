"""The dispatcher: events from the outbox become deliveries, due deliveries are leased,
sent and marked — retried with backoff on failure, dead after the last attempt, taken over
by another worker when the one holding the lease died. Any number of workers may run it at
once: every claim skips rows another worker holds (PostgreSQL) or waits its turn (SQLite).

A message may be sent twice only if a worker dies between sending and marking it; each
carries its dedupe key so the receiver drops the repeat."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from random import Random
from typing import Any

from fenpei.domain.errors import NotFound
from fenpei.domain.events import (
    Channel,
    Delivery,
    DeliveryStatus,
    EventType,
    Message,
    Notification,
    OutboxEvent,
    RetryPolicy,
    delivery_key,
)
from fenpei.domain.users import Actor, User
from fenpei.services import _audit
from fenpei.services.notifications._email_prefs import EmailPreferences
from fenpei.services.notifications.messages import render, render_digest, role_of
from fenpei.services.notifications.ports import Sender
from fenpei.services.ports import UnitOfWork

log = logging.getLogger(__name__)

MAX_ERROR = 1000
RETRY = RetryPolicy()
LEASE = timedelta(minutes=2)  # a worker silent this long is taken for dead


@dataclass(frozen=True)
class Subscriber:
    """A standing recipient of every event (or of ``events``): an IM robot in a group chat,
    an integrator's webhook. ``name`` is what its sender knows it by."""

    channel: Channel
    name: str
    events: frozenset[str] | None = None

    def wants(self, event: OutboxEvent) -> bool:
        return self.events is None or event.type.value in self.events


@dataclass(frozen=True)
class Outlets:
    """Where messages can go: a sender per configured channel, and the standing
    subscribers. The in-app inbox needs no sender; email goes to the reps concerned."""

    senders: Mapping[Channel, Sender] = field(default_factory=dict)
    subscribers: Sequence[Subscriber] = ()
    base_url: str = "http://127.0.0.1:8000"
    language: str = "zh-CN"  # for subscribers, and reps with no login


@dataclass
class DispatchReport:
    expanded: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0

    def __bool__(self) -> bool:
        return any((self.expanded, self.delivered, self.failed, self.dead))


def _concerned(payload: Mapping[str, Any]) -> list[int]:
    """The reps an event concerns: a reminder's ``rep_ids``; else the new owner and the
    previous one."""
    if "rep_ids" in payload:
        found = list(payload["rep_ids"])
    else:
        found = [payload.get("to_rep_id"), payload.get("from_rep_id")]
    return [rep_id for rep_id in dict.fromkeys(found) if isinstance(rep_id, int)]


def _users_told(payload: Mapping[str, Any]) -> list[int]:
    """Users a reminder names directly (a manager without a rep of their own)."""
    found = payload.get("user_ids") or []
    return [user_id for user_id in dict.fromkeys(found) if isinstance(user_id, int)]


def _with_names(
    uow: UnitOfWork, payload: Mapping[str, Any], names: dict[int, str | None]
) -> dict[str, Any]:
    """The payload with the reps' names, as they are now; ``names`` caches them per batch."""
    named = dict(payload)
    for side in ("to", "from"):
        rep_id = payload.get(f"{side}_rep_id")
        if isinstance(rep_id, int) and rep_id not in names:
            rep = uow.reps.get(rep_id)
            names[rep_id] = rep.name if rep is not None else None
        named[f"{side}_rep_name"] = names.get(rep_id) if isinstance(rep_id, int) else None
    return named


def _webhook_subscribers(uow: UnitOfWork) -> list[Subscriber]:
    """The active webhook subscriptions (services/notifications/subscriptions.py): admins
    change them at run time, so they are read with each batch, not fixed in ``Outlets``."""
    return [
        Subscriber(Channel.webhook, s.name, frozenset(s.events) if s.events else None)
        for s in uow.subscriptions.active()
    ]


def expand(*, uow: UnitOfWork, outlets: Outlets, now: datetime, limit: int = 200) -> int:
    """Turn up to ``limit`` new events into inbox entries (written now: the inbox is this
    database) and deliveries for the other channels; each event once, whoever runs it."""
    events = uow.outbox.claim_unexpanded(limit=limit)
    notes: list[Notification] = []
    deliveries: list[Delivery] = []
    subscribers = [*outlets.subscribers, *(_webhook_subscribers(uow) if events else [])]
    names: dict[int, str | None] = {}
    logins: dict[int | None, list[User]] = {}  # each rep's users, read once for the batch
    for user in uow.users.for_reps({r for e in events for r in _concerned(e.payload)}):
        logins.setdefault(user.rep_id, []).append(user)
    email_prefs = EmailPreferences(uow, logins)  # each rep's user's choices (issue 10)
    send_at: dict[tuple[Channel, str], datetime] = {}  # held by quiet hours; else now
    for event in events:
        assert event.id is not None
        reps = _concerned(event.payload)
        payload = _with_names(uow, event.payload, names)
        told = [u.id for rep_id in reps for u in logins.get(rep_id, []) if u.id is not None]
        for user_id in dict.fromkeys([*told, *_users_told(event.payload)]):
            notes.append(Notification(user_id, event.key, event.type, payload, created_at=now))
        # Email a rep only about the events their user wants, held until their quiet hours
        # end, and not at all to a rep whose user takes the daily digest (_email_prefs.py).
        # The inbox entries above are always written: a rep always sees everything in the
        # inbox, and the digest is made from them (digest.py).
        wanted = [rep_id for rep_id in reps if email_prefs.wanted(rep_id, event.type)]
        recipients = [(Channel.email, f"rep:{rep_id}") for rep_id in wanted]
        for rep_id in wanted:
            send_at[Channel.email, f"rep:{rep_id}"] = email_prefs.send_at(rep_id, now)
        if event.type is EventType.test:
            # "Send test event": to the one subscription it names (active or not), no one else.
            recipients = [(Channel.webhook, str(event.payload.get("subscription")))]
        else:
            recipients += [(s.channel, s.name) for s in subscribers if s.wants(event)]
        deliveries += [
            Delivery(
                event_id=event.id,
                channel=channel,
                recipient=recipient,
                key=delivery_key(event.key, channel, recipient),
                created_at=now,
                next_attempt_at=send_at.get((channel, recipient), now),
            )
            for channel, recipient in recipients
            if channel in outlets.senders
        ]
        event.expanded_at = now
    uow.inbox.add_many(notes)
    uow.outbox.add_deliveries(deliveries)
    return len(events)


@dataclass(frozen=True)
class _Outgoing:
    delivery_id: int
    channel: Channel
    address: str | None  # None: nowhere to send it (e.g. the rep has no email address)
    message: Message


class _Readers:
    """What building a batch's messages reads, each thing once per batch."""

    def __init__(self, uow: UnitOfWork, outlets: Outlets) -> None:
        self._uow, self._outlets = uow, outlets
        self._languages: dict[int, str] = {}
        self._names: dict[int, str | None] = {}
        self._events: dict[int | None, OutboxEvent] = {}

    def read_ahead(self, deliveries: Sequence[Delivery]) -> None:
        """Load the batch's events and the languages of its reps in two queries."""
        self._events = {e.id: e for e in self._uow.outbox.events([d.event_id for d in deliveries])}
        rep_ids = {int(d.recipient[4:]) for d in deliveries if d.recipient.startswith("rep:")}
        for user in self._uow.users.for_reps(rep_ids):
            assert user.rep_id is not None
            self._languages.setdefault(user.rep_id, user.language)

    def outgoing(self, delivery: Delivery) -> _Outgoing:
        uow, outlets = self._uow, self._outlets
        event = self._events.get(delivery.event_id) or uow.outbox.event(delivery.event_id)
        assert event is not None and delivery.id is not None
        payload = _with_names(uow, event.payload, self._names)
        address: str | None = delivery.recipient
        language, role = outlets.language, "other"
        if delivery.recipient.startswith("rep:"):
            rep_id = int(delivery.recipient.removeprefix("rep:"))
            rep = uow.reps.get(rep_id)
            address = rep.email if rep is not None else None
            language = self._languages.get(rep_id, outlets.language)
            role = role_of(payload, rep_id)
        if event.type is EventType.digest:  # a user's daily digest (digest.py), in their language
            message = render_digest(
                event.payload["items"],
                rep_id=event.payload["rep_id"],
                language=event.payload["language"],
                key=delivery.key,
                base_url=outlets.base_url,
            )
        else:
            message = render(
                event.type,
                payload,
                language=language,
                role=role,
                key=delivery.key,
                base_url=outlets.base_url,
            )
        extra = {
            **message.extra,
            "event": event.type.value,
            "payload": event.payload,
            "occurred_at": event.occurred_at.isoformat(),  # for the webhook body
        }
        return _Outgoing(delivery.id, delivery.channel, address, replace(message, extra=extra))


def deliver_due(
    *,
    uow_factory: Callable[[], UnitOfWork],
    outlets: Outlets,
    now: Callable[[], datetime],
    worker: str,
    rng: Random,
    policy: RetryPolicy = RETRY,
    lease: timedelta = LEASE,
    limit: int = 100,
) -> DispatchReport:
    """Lease up to ``limit`` due deliveries, send each outside any transaction, then mark
    them in one transaction: those this worker still holds the lease of."""
    report = DispatchReport()
    with uow_factory() as uow:
        started = now()
        claimed = uow.outbox.claim_due(
            now=started, limit=limit, owner=worker, lease_until=started + lease
        )
        readers = _Readers(uow, outlets)
        readers.read_ahead(claimed)
        outgoing = [readers.outgoing(delivery) for delivery in claimed]
        uow.commit()
    if not outgoing:
        return report
    # One after another: sending a batch from 8 threads measured 3x slower (bench/outbox).
    errors = {item.delivery_id: _send(outlets, item) for item in outgoing}
    with uow_factory() as uow:
        # One whose lease ran out meanwhile was taken over by another worker: it is theirs.
        for delivery in uow.outbox.held(list(errors), owner=worker):
            assert delivery.id is not None
            _mark(delivery, errors[delivery.id], now=now(), policy=policy, rng=rng, report=report)
        uow.commit()
    return report


def _send(outlets: Outlets, item: _Outgoing) -> str | None:
    """Send; the error, if any, in words."""
    sender = outlets.senders.get(item.channel)
    if sender is None:
        return f"the {item.channel.value} channel is not configured"
    if not item.address:
        return "the recipient has no address on this channel"
    try:
        sender.send(item.address, item.message)
    except Exception as exc:  # any failure of a receiver is retried, never lost
        log.warning("delivery %s on %s failed: %s", item.delivery_id, item.channel, exc)
        return f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    return None


def _mark(
    delivery: Delivery,
    error: str | None,
    *,
    now: datetime,
    policy: RetryPolicy,
    rng: Random,
    report: DispatchReport,
) -> None:
    delivery.attempts += 1
    delivery.lease_owner = delivery.lease_until = None
    if error is None:
        delivery.status, delivery.delivered_at, delivery.last_error = (
            DeliveryStatus.delivered,
            now,
            None,
        )
        report.delivered += 1
        return
    delivery.last_error = error
    retry_at = policy.next_attempt(delivery.attempts, now=now, rng=rng)
    if retry_at is None:
        delivery.status = DeliveryStatus.dead
        report.dead += 1
    else:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.pending, retry_at
        report.failed += 1


def retry_dead(*, uow: UnitOfWork, delivery_id: int, actor: Actor, now: datetime) -> Delivery:
    """Send a dead (or failing) delivery again at the next round, with a fresh count of
    attempts; audited. A delivered one is left as it is."""
    delivery = uow.outbox.delivery(delivery_id, lock=True)
    if delivery is None:
        raise NotFound("delivery", delivery_id)
    if delivery.status is not DeliveryStatus.delivered:
        before = _audit.snapshot(delivery)
        delivery.status, delivery.next_attempt_at, delivery.attempts = (
            DeliveryStatus.pending,
            now,
            0,
        )
        delivery.lease_owner = delivery.lease_until = None
        _audit.record(
            uow, actor=actor, action="delivery.retry", obj=delivery, now=now, before=before
        )
    return delivery


def dispatch_once(
    *,
    uow_factory: Callable[[], UnitOfWork],
    outlets: Outlets,
    now: Callable[[], datetime],
    worker: str,
    rng: Random,
    policy: RetryPolicy = RETRY,
    lease: timedelta = LEASE,
    limit: int = 100,
) -> DispatchReport:
    """One round: expand new events, then deliver what is due (the worker's loop body)."""
    with uow_factory() as uow:
        expanded = expand(uow=uow, outlets=outlets, now=now(), limit=limit)
        uow.commit()
    report = deliver_due(
        uow_factory=uow_factory,
        outlets=outlets,
        now=now,
        worker=worker,
        rng=rng,
        policy=policy,
        lease=lease,
        limit=limit,
    )
    report.expanded = expanded
    return report
