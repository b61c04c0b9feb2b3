"""Sessions end when they should, and a one-time password is changed before anything else,
on SQLite and PostgreSQL.

A cookie saved before a logout, a password change or reset, or a deactivation is refused
after it: the API answers 401, pages send the browser to the login page. A user holding a
one-time password gets only the change-password form (pages 303 there, the API 403
``password_change_required``) until they have chosen their own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.http.csrf import CSRF_FIELD, CSRF_HEADER
from fenpei.http.sessions import SESSION_COOKIE
from fenpei.services import users
from tests.e2e.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    World,
    asgi_app,
    log_in,
    page_csrf_token,
)
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_tokens import make_token

API_CHANGE = "/api/v1/account/password"
PAGE_CHANGE = "/account/password"
ONE_TIME = "one-time-pass-123"
OWN_PASSWORD = "my own password, long"


@pytest.fixture
def device(app: Fenpei, seeded: World) -> Iterator[TestClient]:
    """A second client (another browser) that uses a cookie saved from the first."""
    with TestClient(asgi_app(app), follow_redirects=False) as other:
        yield other


def replay(device: TestClient, cookie: str) -> tuple[int, int, str]:
    """What ``cookie`` gets now: the API's status, and a page's status and Location."""
    device.cookies.set(SESSION_COOKIE, cookie)
    api = device.get("/api/v1/customers")
    page = device.get("/customers")
    return api.status_code, page.status_code, page.headers.get("location", "")


REFUSED = (401, 303, "/login?next=%2Fcustomers")


def test_a_cookie_saved_before_logout_is_refused_after_it_on_every_device(
    app: Fenpei, user_client: TestClient, device: TestClient
) -> None:
    saved = user_client.cookies[SESSION_COOKIE]
    assert replay(device, saved)[:2] == (200, 200)

    response = user_client.post("/logout")

    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert SESSION_COOKIE not in user_client.cookies
    assert replay(device, saved) == REFUSED


def test_a_logout_with_an_ended_session_still_clears_the_cookie(
    app: Fenpei, user_client: TestClient, device: TestClient
) -> None:
    saved = user_client.cookies[SESSION_COOKIE]
    token = user_client.headers[CSRF_HEADER]
    assert user_client.post("/logout").status_code == 303
    device.cookies.set(SESSION_COOKIE, saved)

    again = device.post("/logout", headers={CSRF_HEADER: token})

    assert (again.status_code, again.headers["location"]) == (303, "/login")
    assert replay(device, saved) == REFUSED


def test_a_cookie_saved_before_a_password_reset_is_refused_after_it(
    app: Fenpei, user_client: TestClient, device: TestClient
) -> None:
    saved = user_client.cookies[SESSION_COOKIE]
    with app.uow() as uow:  # as `fenpei users reset-password admin` does
        users.reset_password(
            uow=uow,
            hasher=app.hasher,
            username=ADMIN_USERNAME,
            password=ONE_TIME,
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()

    assert replay(device, saved) == REFUSED


def test_a_cookie_saved_before_deactivation_is_refused_after_it(
    app: Fenpei, user_client: TestClient, device: TestClient
) -> None:
    saved = user_client.cookies[SESSION_COOKIE]
    with app.uow() as uow:
        users.deactivate_user(uow=uow, username=ADMIN_USERNAME, actor=SYSTEM, now=app.now())
        uow.commit()

    assert replay(device, saved) == REFUSED


def test_a_password_change_ends_other_sessions_and_keeps_the_changer_logged_in(
    app: Fenpei, user_client: TestClient, device: TestClient
) -> None:
    saved = user_client.cookies[SESSION_COOKIE]
    body = {"current_password": ADMIN_PASSWORD, "new_password": OWN_PASSWORD}

    response = user_client.post(API_CHANGE, json=body)

    assert response.status_code == 204, response.text
    assert user_client.cookies[SESSION_COOKIE] != saved
    assert replay(device, saved) == REFUSED
    assert user_client.get("/api/v1/customers").status_code == 200
    # The CSRF token is bound to the cookie: the old one no longer matches, the new one does.
    assert user_client.post("/logout").status_code == 403
    user_client.headers[CSRF_HEADER] = page_csrf_token(user_client)
    assert user_client.post("/logout").status_code == 303


def test_the_api_refuses_a_wrong_current_password_or_a_weak_new_one_changing_nothing(
    app: Fenpei, user_client: TestClient
) -> None:
    saved = user_client.cookies[SESSION_COOKIE]
    wrong = {"current_password": "not it at all", "new_password": OWN_PASSWORD}
    short = {"current_password": ADMIN_PASSWORD, "new_password": "short"}

    assert_error(
        user_client.post(API_CHANGE, json=wrong), 422, "validation_failed", "current_password"
    )
    assert_error(user_client.post(API_CHANGE, json=short), 422, "validation_failed", "new_password")
    assert user_client.cookies[SESSION_COOKIE] == saved
    assert user_client.get("/api/v1/customers").status_code == 200


# --- one-time passwords ----------------------------------------------------------------------


@pytest.fixture
def one_time_client(app: Fenpei, seeded: World, client: TestClient) -> TestClient:
    """Logged in as ``mia``, whose password is a one-time password (as `users create` makes)."""
    with app.uow() as uow:
        users.create_user(
            uow=uow,
            hasher=app.hasher,
            username="mia",
            password=ONE_TIME,
            role=Role.manager,
            actor=SYSTEM,
            now=app.now(),
            must_change_password=True,
        )
        uow.commit()
    log_in(client, ONE_TIME, username="mia")
    return client


def test_logging_in_with_a_one_time_password_goes_to_the_change_form(
    app: Fenpei, seeded: World, client: TestClient, one_time_client: TestClient
) -> None:
    client.cookies.clear()
    client.headers.pop(CSRF_HEADER)  # a header from the earlier session would win
    form = {"username": "mia", "password": ONE_TIME, "next": "/teams"}
    form[CSRF_FIELD] = page_csrf_token(client)

    response = client.post("/login", data=form)

    assert (response.status_code, response.headers["location"]) == (
        303,
        "/account/password?next=%2Fteams",
    )


def test_a_one_time_password_sends_every_page_to_the_change_form(
    one_time_client: TestClient,
) -> None:
    for path, back in [
        ("/customers?q=acme", "%2Fcustomers%3Fq%3Dacme"),
        ("/teams", "%2Fteams"),
        ("/my", "%2Fmy"),
    ]:
        response = one_time_client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"{PAGE_CHANGE}?next={back}", path
    posted = one_time_client.post("/customers/new", data={"name": "x"})
    assert (posted.status_code, posted.headers["location"]) == (303, PAGE_CHANGE)
    htmx = one_time_client.get("/customers", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"] == f"{PAGE_CHANGE}?next=%2Fcustomers"


def test_a_one_time_password_gets_403_from_the_api_saying_what_to_do(
    one_time_client: TestClient,
) -> None:
    for response in [
        one_time_client.get("/api/v1/customers"),
        one_time_client.post("/api/v1/customers", json={"name": "x"}),
    ]:
        assert_error(response, 403, "password_change_required")
        message = response.json()["message"]
        assert PAGE_CHANGE in message and f"POST {API_CHANGE}" in message
        assert "current_password" in message and "new_password" in message


def test_the_change_form_logout_login_and_static_files_stay_open(
    one_time_client: TestClient,
) -> None:
    form = one_time_client.get(PAGE_CHANGE)
    assert form.status_code == 200 and 'name="new_password_again"' in form.text
    assert one_time_client.get("/login").status_code == 200
    assert one_time_client.get("/static/fenpei.css").status_code == 200
    assert one_time_client.get("/healthz").status_code == 200
    logout = one_time_client.post("/logout")
    assert (logout.status_code, logout.headers["location"]) == (303, "/login")


def test_changing_the_one_time_password_on_the_form_lets_the_user_in(
    app: Fenpei, one_time_client: TestClient, device: TestClient
) -> None:
    saved = one_time_client.cookies[SESSION_COOKIE]
    form = {
        "current_password": ONE_TIME,
        "new_password": OWN_PASSWORD,
        "new_password_again": OWN_PASSWORD,
        "next": "/teams",
        CSRF_FIELD: page_csrf_token(one_time_client, PAGE_CHANGE),
    }

    response = one_time_client.post(PAGE_CHANGE, data=form)

    assert (response.status_code, response.headers["location"]) == (303, "/teams")
    assert one_time_client.get("/teams").status_code == 200
    assert one_time_client.get("/api/v1/customers").status_code == 200
    assert replay(device, saved) == REFUSED
    with app.uow() as uow:
        mia = uow.users.by_username("mia")
        assert mia is not None and not mia.must_change_password


def test_a_change_without_next_comes_back_to_the_form_saying_it_is_done(
    one_time_client: TestClient,
) -> None:
    form = {
        "current_password": ONE_TIME,
        "new_password": OWN_PASSWORD,
        "new_password_again": OWN_PASSWORD,
        CSRF_FIELD: page_csrf_token(one_time_client, PAGE_CHANGE),
    }

    response = one_time_client.post(PAGE_CHANGE, data=form)

    assert response.headers["location"] == f"{PAGE_CHANGE}?done=true"
    page = one_time_client.get(response.headers["location"] + "&lang=en")
    assert "Your password is changed." in page.text


def test_changing_the_one_time_password_over_the_api_lets_the_user_in(
    one_time_client: TestClient,
) -> None:
    body = {"current_password": ONE_TIME, "new_password": OWN_PASSWORD}

    assert one_time_client.post(API_CHANGE, json=body).status_code == 204
    assert one_time_client.get("/api/v1/customers").status_code == 200
    assert one_time_client.get("/customers").status_code == 200


@pytest.mark.parametrize(
    ("lang", "fields", "shown"),
    [
        ("en", {"new_password_again": "something else"}, "The two new passwords differ."),
        ("zh-CN", {"new_password_again": "something else"}, "两次输入的新密码不一致。"),
        ("en", {"current_password": "not my password"}, "This is not your current password."),
        ("zh-CN", {"current_password": "not my password"}, "当前密码不正确。"),
        ("en", {"new_password": "short", "new_password_again": "short"}, "Use at least 10"),
        ("zh-CN", {"new_password": "short", "new_password_again": "short"}, "至少需要 10 个字符"),
        (
            "zh-CN",
            {"new_password": ONE_TIME, "new_password_again": ONE_TIME},
            "新密码不能与当前密码相同。",
        ),
    ],
)
def test_a_refused_change_shows_why_on_the_form_in_the_pages_language(
    app: Fenpei,
    one_time_client: TestClient,
    lang: str,
    fields: dict[str, str],
    shown: str,
) -> None:
    one_time_client.get(f"{PAGE_CHANGE}?lang={lang}")  # remembered in a cookie
    form = {
        "current_password": ONE_TIME,
        "new_password": OWN_PASSWORD,
        "new_password_again": OWN_PASSWORD,
        CSRF_FIELD: page_csrf_token(one_time_client, PAGE_CHANGE),
        **fields,
    }

    response = one_time_client.post(PAGE_CHANGE, data=form)

    assert response.status_code == 422
    assert shown in response.text
    assert OWN_PASSWORD not in response.text and ONE_TIME not in response.text
    if lang == "zh-CN":  # no English left in the Chinese page
        for english in ("Change password", "Current password", "New password", "characters"):
            assert english not in response.text
    assert one_time_client.get("/customers").status_code == 303  # still to be changed


def test_an_api_token_of_a_user_with_a_one_time_password_keeps_working(
    app: Fenpei, one_time_client: TestClient, device: TestClient
) -> None:
    _, plaintext = make_token(app, "customers:read", username="mia")

    response = device.get("/api/v1/customers", headers={"Authorization": f"Bearer {plaintext}"})

    assert response.status_code == 200, response.text


def test_the_audit_log_records_the_change_and_the_logout_without_passwords(
    app: Fenpei, one_time_client: TestClient
) -> None:
    body = {"current_password": ONE_TIME, "new_password": OWN_PASSWORD}
    assert one_time_client.post(API_CHANGE, json=body).status_code == 204
    one_time_client.headers[CSRF_HEADER] = page_csrf_token(one_time_client)
    assert one_time_client.post("/logout").status_code == 303

    log = tables.audit_log.c
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(log.actor, log.action, log.before, log.after)
            .where(log.object_type == "user", log.actor == "mia")
            .order_by(log.id)
        ).all()
    assert [(row.action, row.after) for row in rows] == [
        ("change_password", {"must_change_password": False, "session_version": 1}),
        ("logout", {"session_version": 2}),
    ]
    assert ONE_TIME not in repr(rows) and OWN_PASSWORD not in repr(rows)
