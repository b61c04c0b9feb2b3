"""End-to-end fixtures: the real app over a seeded database, a browser-like client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from fenpei.app import create_app
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.http.csrf import CSRF_FIELD, CSRF_HEADER
from fenpei.services import assignments, org, users
from fenpei.services.customers import create_customer
from tests._apps import asgi_app
from tests.fakes import FixedClock

__all__ = ["asgi_app"]  # lent from tests/_apps.py; imported from here by many tests

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "correct horse battery"
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@dataclass(frozen=True)
class World:
    """What ``seeded`` put in the database, by id."""

    team_id: int
    moses_id: int
    darcel_id: int
    acme_id: int  # owned by Darcel, taken from Moses with a reason
    globex_id: int  # in the pool, stage "won"
    script_id: int  # named <script>alert(1)</script>


def racing_clients(app: Fenpei, racers: int, path: str) -> list[TestClient]:
    """Clients on separate app instances, as separate server workers are, ready to race on path.

    FastAPI builds a router's routes on their first request and, doing so, writes to parameter
    declarations that every app instance shares; instances building at the same moment in
    threads can trip over each other (a test artefact: a server process holds one app). One
    request each, in turn, builds what a request to path needs before the race starts.
    """
    clients = [TestClient(create_app(app), follow_redirects=False) for _ in range(racers)]
    for one in clients:
        one.request("OPTIONS", path)
    return clients


@pytest.fixture
def seeded(app: Fenpei, clock: FixedClock) -> World:
    """A team, two reps, three customers, an admin and a little assignment history."""
    start = clock.at
    with app.uow() as uow:
        team = org.create_team(uow=uow, name="East 华东", actor=SYSTEM, now=start)
        moses = org.create_rep(
            uow=uow, fields={"name": "Moses Frase", "team_id": team.id}, actor=SYSTEM, now=start
        )
        darcel = org.create_rep(
            uow=uow, fields={"name": "Darcel Schlecht", "team_id": team.id}, actor=SYSTEM, now=start
        )
        made = []
        for offset, fields in enumerate(
            [
                {"name": "Acme 上海", "company_name": "Acme", "region": "East", "level": "A"},
                {"name": "Globex", "region": "West", "industry": "retail", "stage": "won"},
                {"name": "<script>alert(1)</script>", "company_name": "<b>Evil</b> Corp"},
            ]
        ):
            made.append(
                create_customer(
                    uow=uow, fields=fields, actor=SYSTEM, now=start + timedelta(minutes=offset)
                )
            )
        users.create_user(
            uow=uow,
            hasher=app.hasher,
            username=ADMIN_USERNAME,
            password=ADMIN_PASSWORD,
            role=Role.admin,
            display_name="Ada Admin",
            actor=SYSTEM,
            now=start,
        )
        uow.commit()
    acme = made[0]
    assert acme.id and moses.id and darcel.id
    with app.uow() as uow:
        assignments.assign(uow=uow, customer_id=acme.id, rep_id=moses.id, actor=SYSTEM, now=start)
        uow.commit()
    with app.uow() as uow:
        assignments.assign(
            uow=uow,
            customer_id=acme.id,
            rep_id=darcel.id,
            actor=SYSTEM,
            now=start + timedelta(days=1),
            reason="Moses is on leave",
        )
        uow.commit()
    assert team.id and made[1].id and made[2].id
    return World(team.id, moses.id, darcel.id, acme.id, made[1].id, made[2].id)


@pytest.fixture
def client(app: Fenpei) -> Iterator[TestClient]:
    """A client of the app that keeps cookies, like a browser; not logged in."""
    with TestClient(asgi_app(app), follow_redirects=False) as test_client:
        yield test_client


def page_csrf_token(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page gives this client: its session's, or its browser cookie's."""
    response = client.get(path)
    found = _CSRF_META.search(response.text)
    assert found, (path, response.status_code, response.text)
    return found.group(1)


def login_form(client: TestClient, **fields: str) -> dict[str, str]:
    """The login form's fields as the login page fills them in: ``fields`` and its token."""
    return {**fields, CSRF_FIELD: page_csrf_token(client)}


def log_in(
    client: TestClient, password: str = ADMIN_PASSWORD, *, username: str = ADMIN_USERNAME
) -> None:
    """Log in through the form, then send the session's CSRF token with every request, as
    the pages' htmx does (``hx-headers``)."""
    client.headers.pop(CSRF_HEADER, None)  # a header from an earlier session would win
    form = login_form(client, username=username, password=password)
    response = client.post("/login", data=form)
    assert response.status_code == 303, response.text
    client.headers[CSRF_HEADER] = page_csrf_token(client)


@pytest.fixture
def user_client(client: TestClient, seeded: World) -> TestClient:
    """The client, logged in as the seeded admin."""
    log_in(client)
    return client
