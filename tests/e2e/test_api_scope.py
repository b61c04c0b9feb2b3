"""Data scope over HTTP: a rep sees their own customers, a manager their team tree, and a
record outside one's scope answers 404 exactly like one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import assignments, org, users
from fenpei.services.customers import create_customer
from tests.e2e.conftest import World, asgi_app, log_in
from tests.e2e.test_api import assert_error

API = "/api/v1"
PASSWORD = "long enough password"


@dataclass(frozen=True)
class Org:
    west_team: int
    sub_team: int
    rosie: int  # a West rep
    sub_rep: int  # a rep of East's sub-team
    west_customer: int  # owned by Rosie
    sub_customer: int  # owned by the sub-team's rep


def _user(app: Fenpei, username: str, role: Role, rep_id: int | None = None) -> int:
    with app.uow() as uow:
        user = users.create_user(
            uow=uow,
            hasher=app.hasher,
            username=username,
            password=PASSWORD,
            role=role,
            rep_id=rep_id,
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()
    assert user.id is not None
    return user.id


def _client(app: Fenpei, username: str) -> TestClient:
    client = TestClient(asgi_app(app), follow_redirects=False)
    log_in(client, PASSWORD, username=username)
    return client


@pytest.fixture
def two_teams(app: Fenpei, seeded: World) -> Org:
    """West beside the seeded East team; East has a sub-team; each has managers and reps."""
    now = app.now()
    with app.uow() as uow:
        west = org.create_team(uow=uow, name="West 华西", actor=SYSTEM, now=now)
        sub = org.create_team(
            uow=uow, name="East Shanghai", parent_id=seeded.team_id, actor=SYSTEM, now=now
        )
        rosie = org.create_rep(
            uow=uow, fields={"name": "Rosie Rep", "team_id": west.id}, actor=SYSTEM, now=now
        )
        sub_rep = org.create_rep(
            uow=uow, fields={"name": "Sub Rep", "team_id": sub.id}, actor=SYSTEM, now=now
        )
        west_co = create_customer(uow=uow, fields={"name": "West Co"}, actor=SYSTEM, now=now)
        sub_co = create_customer(uow=uow, fields={"name": "Sub Co"}, actor=SYSTEM, now=now)
        uow.commit()
    assert west.id and sub.id and rosie.id and sub_rep.id and west_co.id and sub_co.id
    with app.uow() as uow:
        for customer_id, rep_id in ((west_co.id, rosie.id), (sub_co.id, sub_rep.id)):
            assignments.assign(
                uow=uow, customer_id=customer_id, rep_id=rep_id, actor=SYSTEM, now=now
            )
        uow.commit()
    managers = {"east-manager": seeded.team_id, "west-manager": west.id}
    for username, team_id in managers.items():
        user_id = _user(app, username, Role.manager)
        with app.uow() as uow:
            team = uow.teams.get(team_id)
            assert team is not None
            team.manager_user_id = user_id
            uow.commit()
    _user(app, "darcel", Role.rep, rep_id=seeded.darcel_id)
    _user(app, "rosie", Role.rep, rep_id=rosie.id)
    _user(app, "auditor", Role.auditor)
    return Org(west.id, sub.id, rosie.id, sub_rep.id, west_co.id, sub_co.id)


def _names(client: TestClient, **params: str) -> list[str]:
    response = client.get(f"{API}/customers", params={"sort": "name", **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return [c["name"] for c in body["items"]]


def test_a_rep_lists_only_their_own_customers(app: Fenpei, seeded: World, two_teams: Org) -> None:
    with _client(app, "darcel") as darcel, _client(app, "rosie") as rosie:
        assert _names(darcel) == ["Acme 上海"]
        assert _names(rosie) == ["West Co"]
        # A filter cannot widen the scope.
        assert _names(darcel, owner_id=str(two_teams.rosie)) == []


def test_outside_the_scope_is_404_like_a_missing_customer(
    app: Fenpei, seeded: World, two_teams: Org
) -> None:
    with _client(app, "darcel") as darcel:
        mine = darcel.get(f"{API}/customers/{seeded.acme_id}")
        theirs = darcel.get(f"{API}/customers/{two_teams.west_customer}")
        history = darcel.get(f"{API}/customers/{two_teams.west_customer}/history")
        missing = darcel.get(f"{API}/customers/999999")

    assert mine.status_code == 200
    for response in (theirs, history, missing):
        assert_error(response, 404, "not_found")
    # Same body apart from the id: existence is not leaked.
    assert theirs.json()["message"].replace(str(two_teams.west_customer), "N") == missing.json()[
        "message"
    ].replace("999999", "N")


def test_a_manager_sees_their_team_tree_and_nothing_else(
    app: Fenpei, seeded: World, two_teams: Org
) -> None:
    with _client(app, "east-manager") as east, _client(app, "west-manager") as west:
        assert _names(east) == ["Acme 上海", "Sub Co"]  # East, and its sub-team
        assert _names(west) == ["West Co"]
        assert_error(east.get(f"{API}/customers/{two_teams.west_customer}"), 404, "not_found")
        assert_error(west.get(f"{API}/customers/{seeded.acme_id}"), 404, "not_found")


def test_a_manager_cannot_change_or_move_customers_outside_their_tree(
    app: Fenpei, seeded: World, two_teams: Org
) -> None:
    with _client(app, "east-manager") as east:
        patched = east.patch(f"{API}/customers/{two_teams.west_customer}", json={"level": "A"})
        deleted = east.delete(f"{API}/customers/{two_teams.west_customer}")
        taken = east.post(
            f"{API}/assignments",
            json={"customer_id": two_teams.west_customer, "rep_id": seeded.moses_id, "reason": "x"},
        )
        given_away = east.post(
            f"{API}/assignments",
            json={"customer_id": seeded.acme_id, "rep_id": two_teams.rosie, "reason": "x"},
        )
        bulk = east.post(
            f"{API}/assignments/bulk",
            json={
                "customer_ids": [seeded.acme_id, two_teams.west_customer],
                "rep_ids": [seeded.moses_id],
                "reason": "x",
            },
        )
        within = east.post(
            f"{API}/assignments",
            json={"customer_id": two_teams.sub_customer, "rep_id": seeded.moses_id, "reason": "x"},
        )

    for response in (patched, deleted, taken, given_away, bulk):
        assert_error(response, 404, "not_found")
    assert within.status_code == 201, within.text
    with _client(app, "west-manager") as west:
        still = west.get(f"{API}/customers/{two_teams.west_customer}").json()
    assert (still["owner_id"], still["level"]) == (two_teams.rosie, None)


def test_a_managers_new_customer_is_held_for_their_team(
    app: Fenpei, seeded: World, two_teams: Org
) -> None:
    with _client(app, "west-manager") as west, _client(app, "east-manager") as east:
        created = west.post(f"{API}/customers?route=false", json={"name": "Walk-in"})
        assert created.status_code == 201, created.text
        customer = created.json()["customer"]
        assert customer["team_id"] == two_teams.west_team
        assert "Walk-in" in _names(west)
        assert "Walk-in" not in _names(east)


def test_the_auditor_reads_everything_and_changes_nothing(
    app: Fenpei, seeded: World, two_teams: Org
) -> None:
    with _client(app, "auditor") as auditor:
        everyone = _names(auditor)
        patched = auditor.patch(f"{API}/customers/{seeded.acme_id}", json={"level": "B"})

    assert {"Acme 上海", "Sub Co", "West Co", "Globex"} <= set(everyone)
    assert_error(patched, 403, "permission_denied")


def test_a_rep_page_shows_only_their_customers(app: Fenpei, seeded: World, two_teams: Org) -> None:
    with _client(app, "darcel") as darcel:
        listing = darcel.get("/customers")
        theirs = darcel.get(f"/customers/{two_teams.west_customer}")

    assert listing.status_code == 200
    assert "Acme 上海" in listing.text and "West Co" not in listing.text
    assert theirs.status_code == 404
