"""Notification preferences applied by the dispatcher, on SQLite and PostgreSQL: an event a
rep opted out of gets no email but still reaches the inbox; quiet hours hold the email
until they end, then it goes; a role's default applies to users who chose nothing and to
reps with no login. The clock is moved by hand; nothing sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from random import Random

from fenpei.bootstrap import Fenpei
from fenpei.domain.events import Channel, DeliveryStatus, EventType, Message
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import org, users
from fenpei.services.assignments import assign
from fenpei.services.customers import create_customer
from fenpei.services.notifications import inbox, preferences
from fenpei.services.notifications.dispatch import Outlets, dispatch_once
from tests.fakes import FakeHasher, FixedClock
from tests.integration._routing_world import World, build_world

ASSIGNED, REASSIGNED = EventType.assigned.value, EventType.reassigned.value


class Receiver:
    def __init__(self) -> None:
        self.got: list[tuple[str, Message]] = []

    def send(self, recipient: str, message: Message) -> None:
        self.got.append((recipient, message))


def _logins(app: Fenpei, world: World) -> dict[str, Actor]:
    """Carol and Dan get email addresses and logins; Alice an address only."""
    actors = {}
    with app.uow() as uow:
        for name, rep_id in (("carol", world.carol), ("dan", world.dan), ("alice", world.alice)):
            fields = {"email": f"{name}@example.com"}
            org.update_rep(uow=uow, rep_id=rep_id, fields=fields, actor=SYSTEM, now=app.now())
            if name == "alice":
                continue
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
            actors[name] = Actor(name, Role.rep, user_id=user.id, rep_id=rep_id)
        uow.commit()
    return actors


def _choose(
    app: Fenpei,
    actor: Actor,
    events: list[str] | None,
    quiet: tuple[str, str] | None = None,
) -> None:
    with app.uow() as uow:
        preferences.set_own_preferences(
            uow=uow,
            actor=actor,
            email_events=events,
            quiet_start=quiet[0] if quiet else None,
            quiet_end=quiet[1] if quiet else None,
            now=app.now(),
        )
        uow.commit()


def _assign_new(app: Fenpei, rep_id: int, name: str = "Acme") -> int:
    with app.uow() as uow:
        customer = create_customer(uow=uow, fields={"name": name}, actor=SYSTEM, now=app.now())
        assert customer.id is not None
        assign(uow=uow, customer_id=customer.id, rep_id=rep_id, actor=SYSTEM, now=app.now())
        uow.commit()
    return customer.id


def _round(app: Fenpei, outlets: Outlets) -> None:
    dispatch_once(uow_factory=app.uow, outlets=outlets, now=app.now, worker="w1", rng=Random(1))


def _inbox(app: Fenpei, actor: Actor) -> list[str]:
    with app.uow(read_only=True) as uow:
        return [e.text for e in inbox.entries(uow=uow, actor=actor, language="en")]


def _email_deliveries(app: Fenpei) -> list[tuple[str, DeliveryStatus, datetime]]:
    with app.uow(read_only=True) as uow:
        found = uow.outbox.deliveries(limit=100)
        return [
            (d.recipient, d.status, d.next_attempt_at) for d in found if d.channel is Channel.email
        ]


def test_an_event_opted_out_of_gets_no_email_but_reaches_the_inbox(app: Fenpei) -> None:
    world = build_world(app)
    actors = _logins(app, world)
    _choose(app, actors["carol"], [REASSIGNED])  # not "assigned to you"
    receiver = Receiver()
    outlets = Outlets(senders={Channel.email: receiver})

    _assign_new(app, world.carol)
    _assign_new(app, world.dan)
    _round(app, outlets)

    assert [to for to, _ in receiver.got] == ["dan@example.com"]
    assert [r for r, _, _ in _email_deliveries(app)] == [f"rep:{world.dan}"]
    assert _inbox(app, actors["carol"]) == ["New customer “Acme” assigned to you"]


def test_quiet_hours_hold_the_email_until_they_end_then_it_is_delivered(
    app: Fenpei, clock: FixedClock
) -> None:
    world = build_world(app)
    actors = _logins(app, world)
    # 09:30 UTC is 17:30 in Carol's zone (Asia/Shanghai): inside 17:00-08:00, which ends
    # at 08:00 tomorrow there, 00:00 UTC.
    _choose(app, actors["carol"], None, quiet=("17:00", "08:00"))
    receiver = Receiver()
    outlets = Outlets(senders={Channel.email: receiver})

    _assign_new(app, world.carol)
    _round(app, outlets)

    end = datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
    assert _email_deliveries(app) == [(f"rep:{world.carol}", DeliveryStatus.pending, end)]
    assert receiver.got == []
    assert _inbox(app, actors["carol"]) == ["New customer “Acme” assigned to you"]

    clock.at = end - timedelta(minutes=1)
    _round(app, outlets)
    assert receiver.got == []

    clock.at = end
    _round(app, outlets)
    assert [to for to, _ in receiver.got] == ["carol@example.com"]
    assert [s for _, s, _ in _email_deliveries(app)] == [DeliveryStatus.delivered]


def test_outside_quiet_hours_the_email_goes_at_once(app: Fenpei) -> None:
    world = build_world(app)
    actors = _logins(app, world)
    _choose(app, actors["carol"], None, quiet=("22:00", "07:00"))  # 17:30 there: not quiet
    receiver = Receiver()

    _assign_new(app, world.carol)
    _round(app, Outlets(senders={Channel.email: receiver}))

    assert [to for to, _ in receiver.got] == ["carol@example.com"]


def test_the_role_default_applies_when_the_user_chose_nothing(app: Fenpei) -> None:
    world = build_world(app)
    actors = _logins(app, world)
    with app.uow() as uow:
        preferences.set_role_default(
            uow=uow, actor=SYSTEM, role=Role.rep, email_events=[REASSIGNED], now=app.now()
        )
        uow.commit()
    _choose(app, actors["dan"], [ASSIGNED])  # Dan's own choice wins over the default
    receiver = Receiver()

    # Alice has no login: the role default applies to her.
    customers = {
        rep_id: _assign_new(app, rep_id) for rep_id in (world.carol, world.dan, world.alice)
    }
    _round(app, Outlets(senders={Channel.email: receiver}))

    assert [to for to, _ in receiver.got] == ["dan@example.com"]
    assert _inbox(app, actors["carol"]) == ["New customer “Acme” assigned to you"]

    # Back to the role default for Dan; a transfer is in the default, so both hear of it.
    _choose(app, actors["dan"], None)
    with app.uow() as uow:
        customer_id = customers[world.dan]
        assign(
            uow=uow,
            customer_id=customer_id,
            rep_id=world.carol,
            actor=SYSTEM,
            now=app.now(),
            reason="rebalance",
        )
        uow.commit()
    receiver.got.clear()
    _round(app, Outlets(senders={Channel.email: receiver}))
    assert sorted(to for to, _ in receiver.got) == ["carol@example.com", "dan@example.com"]
