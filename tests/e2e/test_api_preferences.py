"""Notification preferences over the API, on SQLite and PostgreSQL: a user reads and
replaces their own; an admin sets a role's default, which a user who has not chosen gets;
bad input is named by field and changes nothing; only admins touch role defaults; every
change is in the audit log."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e.conftest import World, log_in
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_tokens import bearer, make_token, make_user

MINE = "/api/v1/account/notifications"
DEFAULTS = "/api/v1/notification-defaults"
ALL = [
    "customer.assigned", "customer.reassigned", "customer.pooled", "customer.reminder",
    "task.assigned", "task.reminder", "customer.merged",
]  # fmt: skip


def test_a_user_reads_and_replaces_their_own_preferences(user_client: TestClient) -> None:
    before = user_client.get(MINE).json()
    put = user_client.put(
        MINE,
        json={"email_events": ["customer.pooled"], "quiet_start": "22:00", "quiet_end": "07:30"},
    )
    after = user_client.get(MINE).json()
    back = user_client.put(MINE, json={}).json()  # everything null: the role default again

    assert before["email_events"] == ALL and before["uses_role_default"] is True
    assert before["quiet_start"] is None and before["role"] == "admin"
    assert put.status_code == 200, put.text
    assert after["email_events"] == ["customer.pooled"] and after["uses_role_default"] is False
    assert (after["quiet_start"], after["quiet_end"]) == ("22:00", "07:30")
    assert back["uses_role_default"] is True and back["quiet_start"] is None
    actions = [e["action"] for e in user_client.get("/api/v1/audit").json()]
    assert actions.count("notification_preferences.set") == 2


def test_a_user_switches_the_daily_digest_on_and_off(user_client: TestClient) -> None:
    before = user_client.get(MINE).json()
    on = user_client.put(MINE, json={"email_events": ["customer.pooled"], "digest": True})
    after = user_client.get(MINE).json()
    off = user_client.put(MINE, json={"email_events": ["customer.pooled"]}).json()

    assert before["digest"] is False
    assert on.status_code == 200, on.text
    assert on.json()["digest"] is True and after["digest"] is True
    assert after["email_events"] == ["customer.pooled"]
    assert off["digest"] is False  # PUT replaces: an absent digest is off
    assert user_client.put(MINE, json={"digest": "daily"}).status_code == 422
    assert user_client.get(MINE).json()["digest"] is False


def test_bad_preferences_are_named_by_field_and_change_nothing(user_client: TestClient) -> None:
    user_client.put(MINE, json={"email_events": ["customer.assigned"]})

    for body, field in (
        ({"email_events": ["customer.assigned", "customer.lost"]}, "email_events[1]"),
        ({"email_events": ["webhook.test"]}, "email_events[0]"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "22:00"}, "quiet_end"),
        ({"quiet_start": "22:00", "quiet_end": "7:00"}, "quiet_end"),
    ):
        assert_error(user_client.put(MINE, json=body), 422, "validation_failed", field)
    response = user_client.put(MINE, json={"email_events": "customer.assigned"})
    assert response.status_code == 422
    assert user_client.put(MINE, json={"email": []}).status_code == 422  # unknown field

    assert user_client.get(MINE).json()["email_events"] == ["customer.assigned"]


def test_an_admin_sets_a_role_default_that_users_who_have_not_chosen_get(
    app: Fenpei, client: TestClient, seeded: World
) -> None:
    make_user(app, "rita", Role.rep)
    log_in(client)
    unset = client.get(f"{DEFAULTS}/rep").json()
    put = client.put(f"{DEFAULTS}/rep", json={"email_events": ["customer.reassigned"]})
    bad = client.put(f"{DEFAULTS}/rep", json={"email_events": ["nope"]})
    assert unset == {"role": "rep", "email_events": ALL, "is_set": False}
    assert put.json() == {"role": "rep", "email_events": ["customer.reassigned"], "is_set": True}
    assert_error(bad, 422, "validation_failed", "email_events[0]")
    assert client.get(f"{DEFAULTS}/nobody").status_code == 422

    log_in(client, "long enough password", username="rita")
    mine = client.get(MINE).json()
    assert mine["email_events"] == ["customer.reassigned"] and mine["uses_role_default"] is True
    assert_error(client.get(f"{DEFAULTS}/rep"), 403, "permission_denied")
    assert_error(client.put(f"{DEFAULTS}/rep", json={"email_events": []}), 403, "permission_denied")


def test_tokens_need_the_notifications_scope(
    app: Fenpei, client: TestClient, seeded: World
) -> None:
    _, reader = make_token(app, "notifications:read")
    _, other = make_token(app, "customers:read")

    assert client.get(MINE, headers=bearer(reader)).status_code == 200
    assert client.get(f"{DEFAULTS}/rep", headers=bearer(reader)).status_code == 200
    assert_error(client.put(MINE, json={}, headers=bearer(reader)), 403, "permission_denied")
    assert_error(client.get(MINE, headers=bearer(other)), 403, "permission_denied")
