"""A small world for the inbox and delivery tests: two reps with logins, a manager, an
admin, a customer, notifications put straight into the inbox and deliveries in each state.

Clients are signed in by their session cookie (as the authorization matrix does), so no
test pays for argon2 or for the login form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.events import (
    Channel,
    Delivery,
    DeliveryStatus,
    EventType,
    Notification,
    OutboxEvent,
)
from fenpei.domain.users import SYSTEM, Role
from fenpei.http.csrf import CSRF_HEADER, csrf_token
from fenpei.http.sessions import SESSION_COOKIE, sign_session, start_session
from fenpei.services import org, users
from fenpei.services.customers import create_customer
from tests.e2e.conftest import asgi_app
from tests.fakes.hasher import FakeHasher


@dataclass(frozen=True)
class InboxWorld:
    moses: int  # a rep, user "moses"
    darcel: int  # a rep, user "darcel"
    acme: int  # a customer
    user_ids: dict[str, int]  # "admin", "manager", "moses", "darcel", "auditor"
    asgi: FastAPI  # one app for every client of a test (building one takes a while)


def build(app: Fenpei) -> InboxWorld:
    """The people and a customer; no notifications yet."""
    app.hasher = FakeHasher()  # the tests sign sessions in; nobody types a password
    now = app.now()
    with app.uow() as uow:
        team = org.create_team(uow=uow, name="East 华东", actor=SYSTEM, now=now)
        moses, darcel = (
            org.create_rep(
                uow=uow, fields={"name": name, "team_id": team.id}, actor=SYSTEM, now=now
            )
            for name in ("Moses Frase", "Darcel Schlecht")
        )
        acme = create_customer(uow=uow, fields={"name": "Acme 上海"}, actor=SYSTEM, now=now)
        user_ids = {}
        for username, role, rep_id in (
            ("admin", Role.admin, None),
            ("manager", Role.manager, None),
            ("auditor", Role.auditor, None),
            ("moses", Role.rep, moses.id),
            ("darcel", Role.rep, darcel.id),
        ):
            user = users.create_user(
                uow=uow,
                hasher=app.hasher,
                username=username,
                password="long enough password",
                role=role,
                rep_id=rep_id,
                actor=SYSTEM,
                now=now,
            )
            user_ids[username] = user.id or 0
        uow.commit()
    return InboxWorld(moses.id or 0, darcel.id or 0, acme.id or 0, user_ids, asgi_app(app))


def add_notes(
    app: Fenpei,
    world: InboxWorld,
    username: str,
    names: list[str],
    *,
    rep_id: int | None = None,
) -> list[int]:
    """One "assigned to you" notification per customer name for ``username``, a minute
    apart in the order given (so the last is the newest); their ids, in that order."""
    user_id = world.user_ids[username]
    start = app.now()
    with app.uow() as uow:
        before = {note.id for note in uow.inbox.for_user(user_id, limit=10_000)}
        notes = [
            Notification(
                user_id,
                f"evt_{username}_{len(before) + n}",
                EventType.assigned,
                {
                    "customer_id": world.acme,
                    "customer_name": name,
                    "to_rep_id": rep_id,
                    "to_rep_name": "Moses Frase",
                },
                created_at=start + timedelta(minutes=len(before) + n),
            )
            for n, name in enumerate(names)
        ]
        uow.inbox.add_many(notes)
        uow.commit()
    with app.uow() as uow:
        made = [n.id or 0 for n in uow.inbox.for_user(user_id, limit=10_000) if n.id not in before]
    return sorted(made)


def add_delivery(
    app: Fenpei,
    status: DeliveryStatus,
    *,
    attempts: int = 0,
    last_error: str | None = None,
    recipient: str = "rep:1",
) -> int:
    """A delivery of a new event in ``status``; its id."""
    now = app.now()
    with app.uow() as uow:
        event = OutboxEvent(
            EventType.assigned, f"evt_{status.value}_{recipient}_{attempts}", {}, now
        )
        uow.outbox.add(event)
        uow.commit()
    assert event.id is not None
    with app.uow() as uow:
        uow.outbox.add_deliveries(
            [
                Delivery(
                    event_id=event.id,
                    channel=Channel.email,
                    recipient=recipient,
                    key=f"{event.key}:email:{recipient}",
                    created_at=now,
                    next_attempt_at=now + timedelta(minutes=5),
                    status=status,
                    attempts=attempts,
                    last_error=last_error,
                )
            ]
        )
        uow.commit()
    with app.uow() as uow:
        return next(d.id or 0 for d in uow.outbox.deliveries(limit=1000) if d.event_id == event.id)


def signed_in(app: Fenpei, world: InboxWorld, username: str) -> TestClient:
    """A client of the app holding ``username``'s session cookie and its CSRF header."""
    with app.uow() as uow:
        user = uow.users.by_username(username)
        assert user is not None and user.id is not None
        version = user.session_version
        user_id = user.id
    client = TestClient(world.asgi, follow_redirects=False)
    secret = app.settings.secret_key
    session = start_session(user_id=user_id, username=username, now=app.now(), version=version)
    cookie = sign_session(session, secret=secret)
    client.cookies.set(SESSION_COOKIE, cookie)
    client.headers[CSRF_HEADER] = csrf_token("session:" + cookie, secret=secret)
    return client
