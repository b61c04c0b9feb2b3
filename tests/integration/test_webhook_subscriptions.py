"""Outgoing webhooks end to end on SQLite and PostgreSQL: an assignment writes an event, the
dispatcher turns it into a delivery per subscription that wants it, and the webhook sender
POSTs it, signed, to a real local receiver that checks the signature itself (and refuses a
bad or stale one). Retries run on a clock moved by hand; nothing sleeps."""

from __future__ import annotations

import time
from collections.abc import Iterator
from random import Random

import pytest

from fenpei.adapters.notify.webhook import WebhookSender
from fenpei.bootstrap import Fenpei, subscription_loader
from fenpei.domain.events import Channel, DeliveryStatus, Message
from fenpei.domain.subscriptions import WebhookSubscription
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import assignments, org
from fenpei.services.customers import create_customer
from fenpei.services.notifications import subscriptions
from fenpei.services.notifications.dispatch import (
    DispatchReport,
    Outlets,
    Subscriber,
    dispatch_once,
    expand,
)
from tests.fakes import FixedClock
from tests.integration._webhook_receiver import WebhookReceiver, expected_signature

ADMIN = Actor("ada", Role.admin)


@pytest.fixture(scope="module")
def server() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def receiver(server: WebhookReceiver) -> WebhookReceiver:
    server.reset()
    return server


def _subscribe(
    app: Fenpei,
    receiver: WebhookReceiver,
    name: str,
    *,
    events: list[str] | None = None,
    active: bool = True,
) -> WebhookSubscription:
    with app.uow() as uow:
        made = subscriptions.create_subscription(
            uow=uow,
            actor=ADMIN,
            name=name,
            url=receiver.url(f"/hooks/{name}"),
            events=events or [],
            active=active,
            now=app.now(),
        )
        uow.commit()
    receiver.expect(f"/hooks/{name}", made.secret)
    return made


def _assign_a_customer(app: Fenpei, name: str = "Acme 上海") -> tuple[int, int]:
    """A new customer given to a new rep (one customer.assigned event); their ids."""
    now = app.now()
    with app.uow() as uow:
        team = org.create_team(uow=uow, name=f"Team of {name}", actor=SYSTEM, now=now)
        rep = org.create_rep(
            uow=uow, fields={"name": f"Rep of {name}", "team_id": team.id}, actor=SYSTEM, now=now
        )
        customer = create_customer(uow=uow, fields={"name": name}, actor=SYSTEM, now=now)
        uow.commit()
    assert customer.id is not None and rep.id is not None
    with app.uow() as uow:
        assignments.assign(uow=uow, customer_id=customer.id, rep_id=rep.id, actor=SYSTEM, now=now)
        uow.commit()
    return customer.id, rep.id


def _round(app: Fenpei, outlets: Outlets | None = None) -> DispatchReport:
    return dispatch_once(
        uow_factory=app.uow,
        outlets=outlets or app.outlets,
        now=app.now,
        worker="w1",
        rng=Random(3),
    )


def _log(app: Fenpei, subscription: WebhookSubscription) -> list[tuple[DeliveryStatus, int]]:
    assert subscription.id is not None
    with app.uow(read_only=True) as uow:
        found = subscriptions.delivery_log(uow=uow, actor=ADMIN, subscription_id=subscription.id)
    return [(d.status, d.attempts) for d in found]


def test_an_assignment_reaches_the_subscriber_as_one_signed_post(
    app: Fenpei, receiver: WebhookReceiver
) -> None:
    crm = _subscribe(app, receiver, "crm")
    customer_id, rep_id = _assign_a_customer(app)

    report = _round(app)
    _round(app)  # nothing is sent twice

    assert report.delivered == 1
    (post,) = receiver.posts
    assert post.accepted, post.verdict
    assert post.headers["Content-Type"] == "application/json; charset=utf-8"
    assert post.headers["X-Fenpei-Event"] == "customer.assigned"
    body = post.body
    assert body["type"] == "customer.assigned"
    assert body["id"] == post.headers["X-Fenpei-Delivery"]
    assert body["id"].startswith("evt_") and body["id"].endswith(":webhook:crm")
    assert body["occurred_at"] == app.now().isoformat()
    assert body["data"]["customer_id"] == customer_id
    assert body["data"]["to_rep_id"] == rep_id
    assert body["data"]["customer_name"] == "Acme 上海"
    assert _log(app, crm) == [(DeliveryStatus.delivered, 1)]


def test_each_subscription_gets_only_the_events_it_asked_for(
    app: Fenpei, receiver: WebhookReceiver
) -> None:
    _subscribe(app, receiver, "everything")
    _subscribe(app, receiver, "assignments", events=["customer.assigned"])
    pool_only = _subscribe(app, receiver, "pool-only", events=["customer.pooled"])
    _assign_a_customer(app)

    _round(app)

    assert sorted(p.path for p in receiver.accepted()) == [
        "/hooks/assignments",
        "/hooks/everything",
    ]
    assert _log(app, pool_only) == []


def test_an_inactive_subscription_gets_nothing(app: Fenpei, receiver: WebhookReceiver) -> None:
    paused = _subscribe(app, receiver, "paused", active=False)
    _assign_a_customer(app)

    _round(app)

    assert receiver.posts == [] and _log(app, paused) == []


def test_a_subscription_switched_off_after_the_event_is_not_sent_it(
    app: Fenpei, receiver: WebhookReceiver
) -> None:
    crm = _subscribe(app, receiver, "crm")
    _assign_a_customer(app)
    with app.uow() as uow:  # expanded while active...
        expand(uow=uow, outlets=app.outlets, now=app.now())
        uow.commit()
    assert crm.id is not None
    with app.uow() as uow:  # ...then switched off before the worker sends it
        subscriptions.update_subscription(
            uow=uow, actor=ADMIN, subscription_id=crm.id, active=False, now=app.now()
        )
        uow.commit()

    _round(app)

    assert receiver.posts == []
    with app.uow(read_only=True) as uow:
        (delivery,) = uow.subscriptions.deliveries("crm")
    assert delivery.status is DeliveryStatus.pending
    assert delivery.last_error == "SendFailed: webhook subscription 'crm' is inactive"


def test_a_test_event_reaches_only_its_subscription_even_an_inactive_one(
    app: Fenpei, receiver: WebhookReceiver
) -> None:
    target = _subscribe(app, receiver, "target", active=False)
    bystander = _subscribe(app, receiver, "bystander")
    robot = _Recorder()
    outlets = Outlets(
        senders={**app.outlets.senders, Channel.wecom: robot},
        subscribers=[Subscriber(Channel.wecom, "sales-group")],
    )
    assert target.id is not None
    with app.uow() as uow:
        event = subscriptions.send_test_event(
            uow=uow, actor=ADMIN, subscription_id=target.id, now=app.now()
        )
        uow.commit()

    _round(app, outlets)

    (post,) = receiver.posts
    assert post.path == "/hooks/target" and post.accepted, post.verdict
    assert post.headers["X-Fenpei-Event"] == "webhook.test"
    assert post.body["type"] == "webhook.test"
    assert post.body["id"] == f"{event.key}:webhook:target"
    assert post.body["data"] == {"subscription_id": target.id, "subscription": "target"}
    assert robot.got == [] and _log(app, bystander) == []
    assert _log(app, target) == [(DeliveryStatus.delivered, 1)]


def test_a_receiver_answering_500_is_tried_again_later_with_the_same_delivery_id(
    app: Fenpei, clock: FixedClock, receiver: WebhookReceiver
) -> None:
    crm = _subscribe(app, receiver, "crm")
    _assign_a_customer(app)
    receiver.fail_with = 500

    first = _round(app)
    again_too_soon = _round(app)

    assert (first.failed, again_too_soon.delivered, again_too_soon.failed) == (1, 0, 0)
    assert _log(app, crm) == [(DeliveryStatus.pending, 1)]
    with app.uow(read_only=True) as uow:
        (delivery,) = uow.subscriptions.deliveries("crm")
    assert delivery.last_error == (
        "SendFailed: webhook subscription 'crm': HTTP 500 Internal Server Error"
    )
    assert delivery.next_attempt_at > app.now()

    receiver.fail_with = None
    clock.advance(delivery.next_attempt_at - app.now())
    assert _round(app).delivered == 1

    failed, delivered = receiver.posts
    assert not failed.accepted and delivered.accepted
    assert failed.headers["X-Fenpei-Delivery"] == delivered.headers["X-Fenpei-Delivery"]
    assert _log(app, crm) == [(DeliveryStatus.delivered, 2)]


def test_the_receiver_refuses_a_bad_or_stale_signature_and_it_counts_as_a_failure(
    app: Fenpei, clock: FixedClock, receiver: WebhookReceiver
) -> None:
    crm = _subscribe(app, receiver, "crm")
    _assign_a_customer(app)
    receiver.expect("/hooks/crm", "whsec_not-the-one-fenpei-holds")

    assert _round(app).failed == 1
    assert [p.verdict for p in receiver.posts] == ["bad signature"]

    receiver.expect("/hooks/crm", crm.secret)
    slow_clock = WebhookSender(
        subscription_loader(app.session_factory), clock=lambda: time.time() - 600
    )
    stale = Outlets(senders={Channel.webhook: slow_clock})
    with app.uow(read_only=True) as uow:
        (delivery,) = uow.subscriptions.deliveries("crm")
    clock.advance(delivery.next_attempt_at - app.now())

    assert _round(app, stale).failed == 1
    assert [p.verdict for p in receiver.posts] == ["bad signature", "stale timestamp"]


def test_a_rotated_secret_signs_the_next_request(app: Fenpei, receiver: WebhookReceiver) -> None:
    crm = _subscribe(app, receiver, "crm")
    old_secret = crm.secret
    assert crm.id is not None
    with app.uow() as uow:
        rotated = subscriptions.rotate_secret(
            uow=uow, actor=ADMIN, subscription_id=crm.id, now=app.now()
        )
        new_secret = rotated.secret
        uow.commit()
    receiver.expect("/hooks/crm", new_secret)
    _assign_a_customer(app)

    _round(app)

    (post,) = receiver.posts
    assert post.accepted and new_secret != old_secret
    stamp = post.headers["X-Fenpei-Timestamp"]
    assert post.headers["X-Fenpei-Signature"] != expected_signature(old_secret, stamp, post.raw)


def test_a_deleted_subscription_is_sent_nothing_more(
    app: Fenpei, receiver: WebhookReceiver
) -> None:
    crm = _subscribe(app, receiver, "crm")
    assert crm.id is not None
    with app.uow() as uow:
        subscriptions.delete_subscription(
            uow=uow, actor=ADMIN, subscription_id=crm.id, now=app.now()
        )
        uow.commit()
    _assign_a_customer(app)

    _round(app)

    assert receiver.posts == []
    with app.uow(read_only=True) as uow:
        assert uow.subscriptions.deliveries("crm") == []
        assert [e.action for e in uow.audit.find(object_type="webhooksubscription")] == [
            "subscription.delete",
            "subscription.create",
        ]
        assert all("secret" not in e.after for e in uow.audit.find(limit=1000))


class _Recorder:
    def __init__(self) -> None:
        self.got: list[tuple[str, Message]] = []

    def send(self, recipient: str, message: Message) -> None:
        self.got.append((recipient, message))
