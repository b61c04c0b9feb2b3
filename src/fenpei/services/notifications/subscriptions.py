"""Webhook subscriptions (事件订阅): an admin points an integrator's URL at the events it
wants; the dispatcher then sends each such event there as a signed POST, retried like any
other delivery (adapters/notify/webhook.py signs and sends).

The secret is made here and shown once, in what ``create_subscription`` and
``rotate_secret`` return; every other read leaves it out, and so does the audit log."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from fenpei.domain.errors import FieldError, NotFound, ValidationFailed
from fenpei.domain.events import Delivery, EventType, OutboxEvent, new_event
from fenpei.domain.phrases import Phrase, length
from fenpei.domain.subscriptions import WebhookSubscription
from fenpei.domain.users import Actor
from fenpei.services import _audit
from fenpei.services.ports import UnitOfWork
from fenpei.services.scope import require_admin

MAX_NAME = 100
MAX_URL = 2000
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
# What a subscription may ask for: every event but the test event, which goes only where
# an admin sends it.
SUBSCRIBABLE = tuple(t.value for t in EventType if t not in (EventType.test, EventType.digest))
LOG_PAGE = 50


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 43 URL-safe characters (256 bits)."""
    return SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def _name_problem(name: str) -> str | None:
    if not 1 <= len(name) <= MAX_NAME:
        return length(1, MAX_NAME)
    if not name.isprintable():
        return Phrase("printable", "must not hold control characters or line breaks")
    return None


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks, or None: an http(s) URL with a host, no
    credentials (they would show wherever the URL is shown; the signature authenticates)."""
    if not 1 <= len(url) <= MAX_URL:
        return length(1, MAX_URL)
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return Phrase("url.spaces", "must not hold spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number 0-65535
    except ValueError as exc:
        return Phrase("url.invalid", "is not a valid URL ({problem})", problem=exc)
    if parts.scheme.lower() not in ("http", "https"):
        return Phrase("url.scheme", "must start with http:// or https://")
    if not parts.hostname:
        return "must name a host, as in https://crm.example.com/hooks/fenpei"
    if parts.username is not None or parts.password is not None:
        return "must not hold a username or password; the signature authenticates each request"
    return None


def _events(events: Sequence[str]) -> list[str]:
    """The event types, each once, in the given order; every unknown one is named."""
    known = ", ".join(SUBSCRIBABLE)
    problems = [
        FieldError(f"events[{n}]", f"unknown event type {value!r}; one of {known}")
        for n, value in enumerate(events)
        if value not in SUBSCRIBABLE
    ]
    if problems:
        raise ValidationFailed(problems)
    return list(dict.fromkeys(events))


def _found(uow: UnitOfWork, subscription_id: int, *, lock: bool = False) -> WebhookSubscription:
    found = uow.subscriptions.get(subscription_id, lock=lock)
    if found is None:
        raise NotFound("webhook subscription", subscription_id)
    return found


def list_subscriptions(*, uow: UnitOfWork, actor: Actor) -> list[WebhookSubscription]:
    """Every subscription, by name (admins only)."""
    require_admin(actor, "see the webhook subscriptions")
    return uow.subscriptions.all()


def get_subscription(*, uow: UnitOfWork, actor: Actor, subscription_id: int) -> WebhookSubscription:
    """One subscription (admins only)."""
    require_admin(actor, "see the webhook subscriptions")
    return _found(uow, subscription_id)


def create_subscription(
    *,
    uow: UnitOfWork,
    actor: Actor,
    name: str,
    url: str,
    events: Sequence[str] = (),
    active: bool = True,
    now: datetime,
) -> WebhookSubscription:
    """Subscribe ``url`` to ``events`` (empty: all) under a new ``name``, with a new secret
    (the returned object holds it: show it now); audited without the secret."""
    require_admin(actor, "add webhook subscriptions")
    name = name.strip()
    problems = []
    if problem := _name_problem(name):
        problems.append(FieldError("name", problem))
    elif uow.subscriptions.by_name(name) is not None:
        problems.append(FieldError("name", f"a subscription named {name!r} exists already"))
    if problem := url_problem(url):
        problems.append(FieldError("url", problem))
    if problems:
        raise ValidationFailed(problems)
    subscription = WebhookSubscription(
        name=name,
        url=url,
        secret=new_secret(),
        created_at=now,
        events=_events(events),
        active=active,
        created_by=actor.name,
    )
    uow.subscriptions.add(subscription)
    _audit.record(uow, actor=actor, action="subscription.create", obj=subscription, now=now)
    return subscription


def update_subscription(
    *,
    uow: UnitOfWork,
    actor: Actor,
    subscription_id: int,
    url: str | None = None,
    events: Sequence[str] | None = None,
    active: bool | None = None,
    now: datetime,
) -> WebhookSubscription:
    """Change the URL, the events or whether it is active (None: leave as it is); the name
    stays (its deliveries are filed under it). Audited."""
    require_admin(actor, "change webhook subscriptions")
    subscription = _found(uow, subscription_id, lock=True)
    if url is not None and (problem := url_problem(url)):
        raise ValidationFailed.one("url", problem)
    before = _audit.snapshot(subscription)
    if url is not None:
        subscription.url = url
    if events is not None:
        subscription.events = _events(events)
    if active is not None:
        subscription.active = active
    _audit.record(
        uow, actor=actor, action="subscription.update", obj=subscription, now=now, before=before
    )
    return subscription


def rotate_secret(
    *, uow: UnitOfWork, actor: Actor, subscription_id: int, now: datetime
) -> WebhookSubscription:
    """Give the subscription a new secret (show it now); requests sign with it from the next
    one sent, the old one stops at once. Audited (without either secret)."""
    require_admin(actor, "rotate webhook secrets")
    subscription = _found(uow, subscription_id, lock=True)
    subscription.secret = new_secret()
    _audit.record(uow, actor=actor, action="subscription.rotate_secret", obj=subscription, now=now)
    return subscription


def delete_subscription(
    *, uow: UnitOfWork, actor: Actor, subscription_id: int, now: datetime
) -> None:
    """Remove the subscription: nothing more is sent to it (deliveries still pending fail
    and are left in the log). Audited."""
    require_admin(actor, "delete webhook subscriptions")
    subscription = _found(uow, subscription_id, lock=True)
    _audit.record(uow, actor=actor, action="subscription.delete", obj=subscription, now=now)
    uow.subscriptions.delete(subscription)


def send_test_event(
    *, uow: UnitOfWork, actor: Actor, subscription_id: int, now: datetime
) -> OutboxEvent:
    """Write a ``webhook.test`` event for this one subscription (active or not): the
    dispatcher delivers it to that subscription only, signed and retried like any other."""
    require_admin(actor, "send test events")
    subscription = _found(uow, subscription_id)
    assert subscription.id is not None
    payload = {"subscription_id": subscription.id, "subscription": subscription.name}
    event = new_event(EventType.test, payload, now=now)
    uow.outbox.add(event)
    _audit.record(uow, actor=actor, action="subscription.test", obj=subscription, now=now)
    return event


def delivery_log(
    *,
    uow: UnitOfWork,
    actor: Actor,
    subscription_id: int,
    limit: int = LOG_PAGE,
    offset: int = 0,
) -> list[Delivery]:
    """What was sent (or is being tried) to the subscription, newest first (admins only)."""
    require_admin(actor, "see webhook deliveries")
    subscription = _found(uow, subscription_id)
    return uow.subscriptions.deliveries(subscription.name, limit=limit, offset=offset)
