"""Throttled logins over HTTP: 429 with Retry-After and a message in both languages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.http.sessions import SESSION_COOKIE
from fenpei.services import users
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, World, login_form
from tests.fakes import FixedClock


def try_login(client: TestClient, username: str, password: str, **params: str) -> int:
    form = login_form(client, username=username, password=password)
    response = client.post("/login", data=form, params=params)
    return response.status_code


def test_five_wrong_passwords_lock_the_login_and_the_right_one_is_refused_with_429(
    client: TestClient, seeded: World
) -> None:
    answers = [try_login(client, ADMIN_USERNAME, f"wrong {n}") for n in range(5)]

    locked = client.post(
        "/login", data=login_form(client, username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
    )

    assert answers == [400, 400, 400, 400, 429]
    assert locked.status_code == 429 and locked.headers["retry-after"] == "900"
    assert "登录失败次数过多" in locked.text and "15 分钟" in locked.text
    assert SESSION_COOKIE not in client.cookies


def test_the_lock_message_in_english_counts_the_minutes_left(
    client: TestClient, clock: FixedClock, seeded: World
) -> None:
    for n in range(5):
        try_login(client, ADMIN_USERNAME, f"wrong {n}")
    clock.advance(minutes=10, seconds=30)

    response = client.post(
        "/login",
        data=login_form(client, username=ADMIN_USERNAME, password=ADMIN_PASSWORD),
        params={"lang": "en"},
    )

    assert response.status_code == 429 and response.headers["retry-after"] == "270"
    assert "Too many failed logins" in response.text and "5 minutes" in response.text


def test_after_the_lockout_the_right_password_logs_in(
    client: TestClient, clock: FixedClock, seeded: World
) -> None:
    for n in range(5):
        try_login(client, ADMIN_USERNAME, f"wrong {n}")
    clock.advance(minutes=15)

    assert try_login(client, ADMIN_USERNAME, ADMIN_PASSWORD) == 303
    assert client.get("/customers").status_code == 200


def test_the_client_address_locks_across_usernames(
    app: Fenpei, client: TestClient, seeded: World
) -> None:
    with app.uow() as uow:
        users.create_user(
            uow=uow,
            hasher=app.hasher,
            username="bob",
            password="bob's long password",
            role=Role.rep,
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()
    answers = [try_login(client, f"guess-{n}", "wrong") for n in range(5)]

    assert answers[-1] == 429
    assert try_login(client, ADMIN_USERNAME, ADMIN_PASSWORD) == 429
    assert try_login(client, "bob", "bob's long password") == 429


def test_failed_logins_and_the_lock_are_in_the_audit_log_without_passwords(
    app: Fenpei, client: TestClient, seeded: World
) -> None:
    for n in range(5):
        try_login(client, ADMIN_USERNAME, f"hunter{n}")

    with app.uow(read_only=True) as uow:
        failed = uow.audit.find(object_type="login", object_id=ADMIN_USERNAME)
        locks = uow.audit.find(object_type="login_failures")

    assert len(failed) == 5 and failed[0].after["client"] == "testclient"
    assert {e.object_id for e in locks} == {"user:admin", "ip:testclient"}
    assert "hunter" not in repr([(e.before, e.after) for e in failed + locks])
