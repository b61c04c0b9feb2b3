"""The daily email digest (issue 10), on SQLite and PostgreSQL, to a real SMTP server: a
digest user gets no email per event, then one email listing the day's notifications in
their language at the first run of the ``email-digest`` job at/after 08:00 in their zone,
and no more that day however often, or from however many processes, the job runs; a user
without the digest is unaffected. The clock is moved by hand; nothing sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from random import Random

import pytest

from fenpei.adapters.notify import build_outlets
from fenpei.bootstrap import Fenpei
from fenpei.config import Settings
from fenpei.domain.events import Channel, DeliveryStatus
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.jobs.registry import email_digest, scheduled_jobs
from fenpei.services import org, users
from fenpei.services.assignments import assign
from fenpei.services.customers import create_customer
from fenpei.services.notifications import inbox, preferences
from fenpei.services.notifications.dispatch import dispatch_once
from fenpei.services.scheduling import run_due
from tests.fakes import FakeHasher, FixedClock
from tests.integration._receivers import Mailbox, smtp_server
from tests.integration._routing_world import World, build_world

# Dan reads English and lives in Berlin (UTC+1 in November): his 08:00 is 07:00 UTC.
DAN_8AM = datetime(2026, 11, 3, 7, 0, tzinfo=UTC)


@pytest.fixture
def mailbox(app: Fenpei) -> Iterator[Mailbox]:
    """A real SMTP server, and ``app`` sending email to it."""
    with smtp_server(security="none", users={"mailer": "mail-pass"}) as (port, box):
        settings = Settings(
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_username="mailer",
            smtp_password="mail-pass",
            smtp_from="fenpei <fenpei@example.cn>",
            base_url="https://crm.example.cn",
        )
        app.outlets = replace(build_outlets(settings), base_url=settings.base_url)
        yield box


def _logins(app: Fenpei, world: World) -> dict[str, Actor]:
    """Carol (zh-CN, Shanghai) and Dan (en, Berlin) get addresses and logins."""
    actors = {}
    with app.uow() as uow:
        for name, rep_id, language, zone in (
            ("carol", world.carol, "zh-CN", "Asia/Shanghai"),
            ("dan", world.dan, "en", "Europe/Berlin"),
        ):
            fields = {"email": f"{name}@example.com", "time_zone": zone}
            org.update_rep(uow=uow, rep_id=rep_id, fields=fields, actor=SYSTEM, now=app.now())
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
            actors[name] = Actor(name, Role.rep, user_id=user.id, rep_id=rep_id)
        uow.commit()
    return actors


def _take_digest(app: Fenpei, actor: Actor, *, digest: bool = True) -> None:
    with app.uow() as uow:
        preferences.set_own_preferences(
            uow=uow,
            actor=actor,
            email_events=None,
            quiet_start=None,
            quiet_end=None,
            digest=digest,
            now=app.now(),
        )
        uow.commit()


def _assign_new(app: Fenpei, rep_id: int, name: str) -> None:
    with app.uow() as uow:
        customer = create_customer(uow=uow, fields={"name": name}, actor=SYSTEM, now=app.now())
        assert customer.id is not None
        assign(uow=uow, customer_id=customer.id, rep_id=rep_id, actor=SYSTEM, now=app.now())
        uow.commit()


def _send(app: Fenpei) -> None:
    """One round of the worker's dispatcher."""
    dispatch_once(uow_factory=app.uow, outlets=app.outlets, now=app.now, worker="w1", rng=Random(1))


def _run_jobs(app: Fenpei, worker: str = "p1") -> list[str | None]:
    """The scheduler's round in one process: the summaries of the jobs it ran."""
    outcomes = run_due(uow_factory=app.uow, jobs=scheduled_jobs(app), now=app.now, worker=worker)
    return [o.summary for o in outcomes if o.job == "email-digest"]


def _mail(mailbox: Mailbox) -> list[tuple[str, str]]:
    return [(m.rcpt_tos[0], str(m.parsed()["Subject"])) for m in mailbox.received]


def test_a_digest_user_gets_one_email_a_day_in_their_language_and_no_single_ones(
    app: Fenpei, clock: FixedClock, mailbox: Mailbox
) -> None:
    world = build_world(app)
    actors = _logins(app, world)
    _take_digest(app, actors["dan"])  # 2026-11-02 09:30 UTC

    _assign_new(app, world.dan, "Acme")
    _assign_new(app, world.dan, "Bolt")
    _assign_new(app, world.carol, "华为")  # Carol has no digest: her email goes at once
    _send(app)

    assert _mail(mailbox) == [("carol@example.com", "新客户「华为」已分配给您")]
    with app.uow(read_only=True) as uow:
        dan_inbox = [e.text for e in inbox.entries(uow=uow, actor=actors["dan"], language="en")]
    assert dan_inbox == [
        "New customer “Bolt” assigned to you",
        "New customer “Acme” assigned to you",
    ]

    clock.at = DAN_8AM.replace(minute=0, hour=6)  # 07:00 in Berlin: not yet
    assert _run_jobs(app) == ["digests queued: 0; nothing to report: 0"]
    _send(app)
    assert len(mailbox.received) == 1

    clock.at = DAN_8AM
    assert _run_jobs(app) == ["digests queued: 1; nothing to report: 0"]
    _send(app)

    assert _mail(mailbox)[1:] == [("dan@example.com", "fenpei: 2 notifications")]
    digest = mailbox.received[1].parsed()
    plain = digest.get_body(("plain",))
    assert plain is not None
    text = plain.get_content()
    assert text.index("“Acme” assigned to you") < text.index("“Bolt” assigned to you")
    assert "https://crm.example.cn/customers/" in text
    assert str(digest["X-Fenpei-Dedupe-Key"]).startswith("digest:")

    # The same slot in a second process, a later slot, and the job called straight away
    # (as a process past the scheduler would): nothing more today.
    assert _run_jobs(app, worker="p2") == []
    clock.at = DAN_8AM.replace(hour=15)
    assert _run_jobs(app) == ["digests queued: 0; nothing to report: 0"]
    assert email_digest(app) == "digests queued: 0; nothing to report: 0"
    _send(app)
    assert len(mailbox.received) == 2
    with app.uow(read_only=True) as uow:
        emails = [d for d in uow.outbox.deliveries() if d.channel is Channel.email]
    assert [d.status for d in emails] == [DeliveryStatus.delivered] * 2


def test_the_next_digest_lists_only_what_came_after_and_none_is_sent_for_nothing(
    app: Fenpei, clock: FixedClock, mailbox: Mailbox
) -> None:
    world = build_world(app)
    actors = _logins(app, world)
    _take_digest(app, actors["dan"])
    _assign_new(app, world.dan, "Acme")
    _send(app)
    clock.at = DAN_8AM
    _run_jobs(app)
    _send(app)

    clock.at = DAN_8AM.replace(day=3, hour=12)
    _assign_new(app, world.dan, "Bolt")
    _send(app)
    clock.at = DAN_8AM.replace(day=4)
    assert _run_jobs(app) == ["digests queued: 1; nothing to report: 0"]
    _send(app)
    clock.at = DAN_8AM.replace(day=5)  # nothing since: no email
    assert _run_jobs(app) == ["digests queued: 0; nothing to report: 1"]
    _send(app)

    assert _mail(mailbox) == [
        ("dan@example.com", "fenpei: 1 notification"),
        ("dan@example.com", "fenpei: 1 notification"),
    ]
    second = mailbox.received[1].parsed().get_body(("plain",))
    assert second is not None
    assert "Bolt" in second.get_content() and "Acme" not in second.get_content()


def test_a_chinese_digest_user_reads_it_in_chinese_after_8_in_shanghai(
    app: Fenpei, clock: FixedClock, mailbox: Mailbox
) -> None:
    world = build_world(app)
    actors = _logins(app, world)
    _take_digest(app, actors["carol"])
    _assign_new(app, world.carol, "华为")
    _send(app)
    assert mailbox.received == []

    clock.at = datetime(2026, 11, 3, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    _run_jobs(app)
    _send(app)

    assert _mail(mailbox) == [("carol@example.com", "fenpei：昨日 1 条通知")]
    plain = mailbox.received[0].parsed().get_body(("plain",))
    assert plain is not None and "新客户「华为」已分配给您" in plain.get_content()
