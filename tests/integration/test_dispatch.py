"""The dispatcher on SQLite and PostgreSQL: events become inbox entries and deliveries once,
failures are retried with backoff until the receiver is back, dead letters can be retried,
a worker that dies loses nothing. The clock is moved by hand; nothing sleeps.

Most tests here send to a recording stand-in for the sender port; the outage test sends to a
real SMS gateway on 127.0.0.1, the email test to a real SMTP server (aiosmtpd), and the IM
and webhook senders meet their real local receivers in test_notify_*.py,
test_webhook_subscriptions.py and test_workers_pg.py."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from random import Random
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest

from fenpei.adapters.notify import build_outlets
from fenpei.bootstrap import Fenpei
from fenpei.config import Settings
from fenpei.domain.events import Channel, DeliveryStatus, Message, ReminderKind, RetryPolicy
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import org, users
from fenpei.services.assignments import assign, bulk_assign
from fenpei.services.customers import create_customer
from fenpei.services.notifications import inbox
from fenpei.services.notifications.dispatch import (
    Outlets,
    Subscriber,
    deliver_due,
    dispatch_once,
    expand,
    retry_dead,
)
from fenpei.services.notifications.events import emit_reminder
from tests.fakes import FakeHasher, FixedClock
from tests.integration._receivers import RobotReceiver, smtp_server
from tests.integration._routing_world import World, build_world


@dataclass
class Receiver:
    """Accepts messages while up; refuses them (raises) while down."""

    up: bool = True
    got: list[tuple[str, Message]] = field(default_factory=list)
    refused: int = 0

    def send(self, recipient: str, message: Message) -> None:
        if not self.up:
            self.refused += 1
            raise ConnectionRefusedError("receiver down")
        self.got.append((recipient, message))

    def keys(self) -> Counter[str]:
        return Counter(message.key for _, message in self.got)


def _with_logins(app: Fenpei, world: World) -> dict[str, int]:
    """Carol and Dan get email addresses and logins (Dan reads English)."""
    with app.uow() as uow:
        ids = {}
        for name, rep_id, language in (("carol", world.carol, "zh-CN"), ("dan", world.dan, "en")):
            org.update_rep(
                uow=uow,
                rep_id=rep_id,
                fields={"email": f"{name}@example.com"},
                actor=SYSTEM,
                now=app.now(),
            )
            user = users.create_user(
                uow=uow,
                hasher=FakeHasher(),
                username=name,
                password="correct horse battery",
                role=Role.rep,
                actor=SYSTEM,
                now=app.now(),
                rep_id=rep_id,
            )
            user.language = language
            assert user.id is not None
            ids[name] = user.id
        uow.commit()
    return ids


def _customers(app: Fenpei, count: int, prefix: str = "Customer") -> list[int]:
    with app.uow() as uow:
        ids = []
        for n in range(count):
            created = create_customer(
                uow=uow, fields={"name": f"{prefix} {n}"}, actor=SYSTEM, now=app.now()
            )
            assert created.id is not None
            ids.append(created.id)
        uow.commit()
    return ids


def _assign(app: Fenpei, customer_id: int, rep_id: int, reason: str | None = None) -> None:
    with app.uow() as uow:
        assign(
            uow=uow,
            customer_id=customer_id,
            rep_id=rep_id,
            actor=SYSTEM,
            now=app.now(),
            reason=reason,
        )
        uow.commit()


def _round(app: Fenpei, outlets: Outlets, worker: str = "w1") -> None:
    dispatch_once(uow_factory=app.uow, outlets=outlets, now=app.now, worker=worker, rng=Random(7))


def _drain(app: Fenpei, outlets: Outlets) -> int:
    """Rounds until one finds nothing due; how many did something."""
    busy = 0
    while dispatch_once(
        uow_factory=app.uow, outlets=outlets, now=app.now, worker="w1", rng=Random(busy)
    ):
        busy += 1
    return busy


def test_an_assignment_reaches_the_reps_inbox_and_mailbox_once(app: Fenpei) -> None:
    world = build_world(app)
    logins = _with_logins(app, world)
    receiver = Receiver()
    outlets = Outlets(senders={Channel.email: receiver})
    (customer_id,) = _customers(app, 1, "Acme 阿克米")
    _assign(app, customer_id, world.carol)

    for worker in ("w1", "w2", "w1"):  # more rounds, more workers: still one of each
        _round(app, outlets, worker)

    with app.uow(read_only=True) as uow:
        carol = Actor("carol", Role.rep, user_id=logins["carol"], rep_id=world.carol)
        dan = Actor("dan", Role.rep, user_id=logins["dan"], rep_id=world.dan)
        seen = inbox.entries(uow=uow, actor=carol, language="zh-CN")
        assert [e.text for e in seen] == ["新客户「Acme 阿克米 0」已分配给您"]
        assert inbox.unread_count(uow=uow, actor=carol) == 1
        assert inbox.entries(uow=uow, actor=dan, language="en") == []
    assert [(to, m.subject) for to, m in receiver.got] == [
        ("carol@example.com", "新客户「Acme 阿克米 0」已分配给您")
    ]


def test_a_transfer_tells_both_reps_each_in_their_language(app: Fenpei) -> None:
    world = build_world(app)
    _with_logins(app, world)
    receiver = Receiver()
    (customer_id,) = _customers(app, 1, "Globex")
    _assign(app, customer_id, world.dan)
    _assign(app, customer_id, world.carol, reason="Dan moved to key accounts")

    _round(app, Outlets(senders={Channel.email: receiver}))

    subjects = sorted((to, m.subject) for to, m in receiver.got)
    assert subjects == [
        ("carol@example.com", "客户「Globex 0」已从 Dan 转给您"),
        ("dan@example.com", "New customer “Globex 0” assigned to you"),
        ("dan@example.com", "Your customer “Globex 0” moved to Carol"),
    ]
    (transfer,) = [m for to, m in receiver.got if "moved to" in m.subject]
    assert "Why: Dan moved to key accounts" in transfer.text


def test_subscribers_get_the_events_they_asked_for(app: Fenpei) -> None:
    world = build_world(app)
    everything, transfers = Receiver(), Receiver()
    outlets = Outlets(
        senders={Channel.wecom: everything, Channel.webhook: transfers},
        subscribers=[
            Subscriber(Channel.wecom, "east-sales"),
            Subscriber(Channel.webhook, "crm", frozenset({"customer.reassigned"})),
        ],
    )
    (customer_id,) = _customers(app, 1)
    _assign(app, customer_id, world.dan)
    _assign(app, customer_id, world.carol, reason="rebalance")

    _round(app, outlets)

    assert [m.extra["event"] for _, m in everything.got] == [
        "customer.assigned",
        "customer.reassigned",
    ]
    assert [(to, m.extra["event"]) for to, m in transfers.got] == [("crm", "customer.reassigned")]


def test_receiver_down_during_1000_assignments_gets_every_message_once_when_back(
    app: Fenpei, clock: FixedClock
) -> None:
    """A real SMS gateway on 127.0.0.1 answers 503 for a while, then comes back."""
    world = build_world(app)
    gateway = RobotReceiver(dingtalk_secret="-", feishu_secret="-", sms_token="sms-token")
    robot = {
        "name": "gateway",
        "kind": "sms",
        "url": gateway.url("/sms/send"),
        "secret": "sms-token",
        "to": ["+8613800138000"],
    }
    outlets = build_outlets(Settings(robots=[robot]))  # type: ignore[list-item]
    customers = _customers(app, 1000)
    with app.uow() as uow:
        bulk_assign(
            uow=uow,
            customer_ids=customers,
            rep_ids=[world.alice, world.bob, world.carol, world.dan],
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()
    try:
        gateway.forced = (503, {"error": "down for maintenance"})
        for _ in range(3):  # down for a while: every attempt fails and is put off
            assert _drain(app, outlets) >= 10
            clock.advance(minutes=2)
        refused = len(gateway.hits)
        with app.uow(read_only=True) as uow:
            counts = uow.outbox.counts()
        assert counts[DeliveryStatus.pending] == 1000 and counts[DeliveryStatus.dead] == 0

        gateway.reset()  # back up; from here on every request is accepted
        clock.advance(minutes=10)  # the retries come due as the backoff allows
        _drain(app, outlets)
        accepted = list(gateway.hits)
    finally:
        gateway.close()

    assert refused >= 3000, "each message was tried, and tried again, while it was down"
    keys = Counter(unquote(hit.headers["X-Fenpei-Dedupe-Key"]) for hit in accepted)
    assert len(keys) == 1000 and set(keys.values()) == {1}
    linked = [re.search(r"/customers/(\d+)", hit.body["text"]) for hit in accepted]
    assert sorted(int(found.group(1)) for found in linked if found) == customers
    with app.uow(read_only=True) as uow:
        assert uow.outbox.counts()[DeliveryStatus.delivered] == 1000


def test_a_worker_that_dies_holding_a_lease_loses_nothing(app: Fenpei, clock: FixedClock) -> None:
    world = build_world(app)
    receiver = Receiver()
    outlets = Outlets(
        senders={Channel.webhook: receiver}, subscribers=[Subscriber(Channel.webhook, "crm")]
    )
    _assign(app, _customers(app, 1)[0], world.carol)
    with app.uow() as uow:
        expand(uow=uow, outlets=outlets, now=app.now())
        uow.commit()
    with app.uow() as uow:  # worker "dead" leases the delivery, then is killed
        (leased,) = uow.outbox.claim_due(
            now=app.now(), limit=10, owner="dead", lease_until=app.now() + timedelta(minutes=2)
        )
        uow.commit()

    report = deliver_due(
        uow_factory=app.uow, outlets=outlets, now=app.now, worker="w2", rng=Random(1)
    )
    assert report.delivered == 0 and receiver.got == [], "the lease still holds"

    clock.advance(minutes=3)
    report = deliver_due(
        uow_factory=app.uow, outlets=outlets, now=app.now, worker="w2", rng=Random(1)
    )

    assert report.delivered == 1 and len(receiver.got) == 1
    with app.uow(read_only=True) as uow:
        delivery = uow.outbox.delivery(leased.id or 0)
        assert delivery is not None and delivery.status is DeliveryStatus.delivered


def test_after_the_last_attempt_a_delivery_is_dead_until_retried_by_hand(
    app: Fenpei, clock: FixedClock
) -> None:
    world = build_world(app)
    receiver = Receiver(up=False)
    outlets = Outlets(
        senders={Channel.webhook: receiver}, subscribers=[Subscriber(Channel.webhook, "crm")]
    )
    policy = RetryPolicy(max_attempts=3, base=timedelta(seconds=10))
    _assign(app, _customers(app, 1)[0], world.carol)
    for _ in range(5):
        dispatch_once(
            uow_factory=app.uow,
            outlets=outlets,
            now=app.now,
            worker="w",
            rng=Random(1),
            policy=policy,
        )
        clock.advance(minutes=1)
    with app.uow(read_only=True) as uow:
        (dead,) = uow.outbox.deliveries(status=DeliveryStatus.dead)
    assert (dead.attempts, receiver.refused) == (3, 3)
    assert dead.last_error == "ConnectionRefusedError: receiver down"

    receiver.up = True
    with app.uow() as uow:
        retry_dead(uow=uow, delivery_id=dead.id or 0, actor=SYSTEM, now=app.now())
        uow.commit()
    _round(app, outlets)

    assert len(receiver.got) == 1
    with app.uow(read_only=True) as uow:
        assert uow.outbox.delivery(dead.id or 0).status is DeliveryStatus.delivered  # type: ignore[union-attr]
        (entry,) = uow.audit.find(object_type="delivery")
        assert entry.action == "delivery.retry"


@pytest.mark.parametrize("attempts", [1, 2, 5])
def test_backoff_grows_and_is_jittered_within_its_window(attempts: int) -> None:
    policy = RetryPolicy(max_attempts=8)
    start = FixedClock().now()
    waits = {policy.next_attempt(attempts, now=start, rng=Random(seed)) for seed in range(50)}
    ceiling = policy.base * 2 ** (attempts - 1)
    assert all(w is not None and ceiling / 2 <= w - start <= ceiling for w in waits)
    assert len(waits) > 40, "jitter spreads retries that failed together"


def test_assignment_emails_reach_a_real_smtp_server_in_each_reps_language(app: Fenpei) -> None:
    world = build_world(app)
    _with_logins(app, world)
    (customer_id,) = _customers(app, 1, "华为 Huawei")
    _assign(app, customer_id, world.dan)
    _assign(app, customer_id, world.carol, reason="区域调整")
    with smtp_server(security="none", users={"mailer": "mail-pass"}) as (port, mailbox):
        settings = Settings(
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_username="mailer",
            smtp_password="mail-pass",
            smtp_from="fenpei <fenpei@example.cn>",
            base_url="https://crm.example.cn",
        )
        report = dispatch_once(
            uow_factory=app.uow,
            outlets=build_outlets(settings),
            now=app.now,
            worker="w1",
            rng=Random(1),
        )

    assert report.delivered == 3 and report.failed == 0
    mails = sorted(
        (m.rcpt_tos[0], str(m.parsed()["Subject"]), m.parsed()) for m in mailbox.received
    )
    assert [(to, subject) for to, subject, _ in mails] == [
        ("carol@example.com", "客户「华为 Huawei 0」已从 Dan 转给您"),
        ("dan@example.com", "New customer “华为 Huawei 0” assigned to you"),
        ("dan@example.com", "Your customer “华为 Huawei 0” moved to Carol"),
    ]
    carol = mails[0][2]
    plain = carol.get_body(("plain",))
    html = carol.get_body(("html",))
    assert plain is not None and html is not None
    assert "原因：区域调整" in plain.get_content()
    assert f"https://crm.example.cn/customers/{customer_id}" in html.get_content()
    assert carol["X-Fenpei-Dedupe-Key"].endswith(":email:rep:" + str(world.carol))


def test_a_reminder_reaches_the_reps_named_and_a_manager_user_but_not_the_owner_unnamed(
    app: Fenpei,
) -> None:
    world = build_world(app)
    logins = _with_logins(app, world)
    (customer_id,) = _customers(app, 1, "Initech")
    _assign(app, customer_id, world.carol)
    with app.uow() as uow:
        manager = users.create_user(
            uow=uow, hasher=FakeHasher(), username="mona", password="correct horse battery",
            role=Role.manager, actor=SYSTEM, now=app.now(),
        )  # fmt: skip
        assert manager.id is not None
        customer = uow.customers.get(customer_id)
        assert customer is not None
        due = app.now() + timedelta(hours=2)
        emit_reminder(uow, kind=ReminderKind.sla_due_soon, customer=customer, now=app.now(),
                      rep_ids=[world.carol], due=due)  # fmt: skip
        emit_reminder(uow, kind=ReminderKind.sla_escalated, customer=customer, now=app.now(),
                      user_ids=[manager.id], due=due)  # fmt: skip
        uow.commit()
    receiver = Receiver()
    _round(app, Outlets(senders={Channel.email: receiver}))

    when = f"{due.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M} Asia/Shanghai"  # Carol's
    reminders = sorted(m.subject for to, m in receiver.got if "Initech" in m.subject)
    assert reminders == [
        f"客户「Initech 0」须在 {when} 前首次联系",
        "新客户「Initech 0」已分配给您",
    ]
    with app.uow() as uow:
        mona = Actor(name="mona", role=Role.manager, user_id=manager.id)
        told = [e.text for e in inbox.entries(uow=uow, actor=mona, language="en")]
        carol = Actor(name="carol", role=Role.rep, user_id=logins["carol"], rep_id=world.carol)
        carols = [e.text for e in inbox.entries(uow=uow, actor=carol, language="zh-CN")]
    assert told == [f"Carol's customer “Initech 0” missed first contact (due {when})"]
    assert len(carols) == 2 and not any("超时" in text for text in carols)
