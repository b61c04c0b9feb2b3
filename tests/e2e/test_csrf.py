"""CSRF over HTTP: cookie-authenticated writes need the page's token, pages and API alike."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.http.csrf import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER
from fenpei.http.sessions import SESSION_COOKIE
from fenpei.services import tokens
from fenpei.web.rendering import TEMPLATES_DIR
from tests.e2e.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    World,
    asgi_app,
    login_form,
    page_csrf_token,
)
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_rules import API, client_as, customer_count

NEW_CUSTOMER = {"name": "Forged Ltd"}


def without_header(client: TestClient) -> str:
    """Stop ``client`` sending its CSRF header; returns the token it was sending."""
    return client.headers.pop(CSRF_HEADER)


# --- the JSON API, authenticated by the session cookie --------------------------------------


def test_api_post_without_a_token_is_403_naming_the_field_and_writes_nothing(
    app: Fenpei, user_client: TestClient
) -> None:
    without_header(user_client)
    before = customer_count(app)

    response = user_client.post(f"{API}/customers?route=false", json=NEW_CUSTOMER)

    assert_error(response, 403, "csrf_failed", field="csrf_token")
    assert CSRF_HEADER in response.json()["message"]
    assert customer_count(app) == before


def test_api_post_with_the_token_of_another_session_is_403_and_writes_nothing(
    app: Fenpei, user_client: TestClient
) -> None:
    with client_as(app, Role.admin) as other:
        user_client.headers[CSRF_HEADER] = other.headers[CSRF_HEADER]
        before = customer_count(app)

        response = user_client.post(f"{API}/customers?route=false", json=NEW_CUSTOMER)

    assert_error(response, 403, "csrf_failed", field="csrf_token")
    assert customer_count(app) == before


def test_api_post_with_its_own_token_goes_through(app: Fenpei, user_client: TestClient) -> None:
    before = customer_count(app)

    response = user_client.post(f"{API}/customers?route=false", json=NEW_CUSTOMER)

    assert response.status_code == 201, response.text
    assert customer_count(app) == before + 1


def test_patch_and_delete_need_the_token_too(user_client: TestClient, seeded: World) -> None:
    token = without_header(user_client)
    url = f"{API}/customers/{seeded.globex_id}"

    assert_error(user_client.patch(url, json={"level": "B"}), 403, "csrf_failed")
    assert_error(user_client.delete(url), 403, "csrf_failed")
    assert user_client.get(url).json()["level"] is None

    assert user_client.delete(url, headers={CSRF_HEADER: token}).status_code == 204


def test_a_browser_token_planted_in_a_logged_in_browser_is_refused(
    app: Fenpei, user_client: TestClient
) -> None:
    # The attacker's own, valid pair: a browser cookie and the token pages give it.
    with TestClient(asgi_app(app)) as attacker:
        planted_token = page_csrf_token(attacker)
        planted_cookie = attacker.cookies[CSRF_COOKIE]
    user_client.cookies.set(CSRF_COOKIE, planted_cookie)
    user_client.headers[CSRF_HEADER] = planted_token
    before = customer_count(app)

    response = user_client.post(f"{API}/customers?route=false", json=NEW_CUSTOMER)

    assert_error(response, 403, "csrf_failed", field="csrf_token")
    assert customer_count(app) == before


def test_api_without_a_session_is_still_401_not_403(client: TestClient, seeded: World) -> None:
    assert_error(client.post(f"{API}/customers", json=NEW_CUSTOMER), 401, "not_authenticated")


def test_bearer_authenticated_post_needs_no_csrf_token(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    with app.uow() as uow:
        _, plaintext = tokens.create_token(
            uow=uow,
            username=ADMIN_USERNAME,
            name="integration",
            scopes=["customers:write"],
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()
    without_header(user_client)  # the session cookie is still sent, and ignored
    before = customer_count(app)

    response = user_client.post(
        f"{API}/customers?route=false",
        json=NEW_CUSTOMER,
        headers={"Authorization": f"Bearer {plaintext}"},
    )

    assert response.status_code == 201, response.text
    assert customer_count(app) == before + 1


# --- pages: form posts ----------------------------------------------------------------------


def test_logout_form_without_the_field_shows_a_friendly_page_and_keeps_the_session(
    user_client: TestClient,
) -> None:
    without_header(user_client)

    refused = user_client.post("/logout")
    english = user_client.post("/logout", params={"lang": "en"})

    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "此表单已过期" in refused.text and "This form has expired" in english.text
    assert SESSION_COOKIE in user_client.cookies
    assert user_client.get("/customers").status_code == 200


def test_logout_form_with_the_field_logs_out(user_client: TestClient) -> None:
    token = without_header(user_client)

    response = user_client.post("/logout", data={CSRF_FIELD: token})

    assert response.status_code == 303 and SESSION_COOKIE not in user_client.cookies


def test_login_without_the_csrf_field_is_refused_and_starts_no_session(
    client: TestClient, seeded: World
) -> None:
    credentials = {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
    never_visited = client.post("/login", data=credentials)
    page_token = page_csrf_token(client)  # now the browser has its cookie

    without_field = client.post("/login", data=credentials)
    forged = client.post("/login", data={**credentials, CSRF_FIELD: "0" * len(page_token)})

    for response in (never_visited, without_field, forged):
        assert response.status_code == 403 and "此表单已过期" in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert SESSION_COOKIE not in client.cookies


def test_login_with_the_token_of_another_browser_is_refused(
    app: Fenpei, client: TestClient, seeded: World
) -> None:
    with TestClient(asgi_app(app)) as other:
        foreign = login_form(other, username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
    page_csrf_token(client)  # this browser has a cookie of its own

    response = client.post("/login", data=foreign)

    assert response.status_code == 403 and SESSION_COOKIE not in client.cookies


def test_login_page_sets_a_lax_http_only_csrf_cookie_once(client: TestClient) -> None:
    first = client.get("/login")
    second = client.get("/login")

    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "set-cookie" not in second.headers
    assert page_csrf_token(client) == page_csrf_token(client)


def test_the_token_changes_with_the_session(client: TestClient, seeded: World) -> None:
    anonymous = page_csrf_token(client)
    client.post("/login", data=login_form(client, username=ADMIN_USERNAME, password=ADMIN_PASSWORD))

    assert page_csrf_token(client) != anonymous


def test_every_page_carries_the_token_in_its_meta_and_its_post_forms(
    user_client: TestClient, seeded: World
) -> None:
    token = user_client.headers[CSRF_HEADER]
    pages = {path: user_client.get(path).text for path in ["/customers", "/customers/999999"]}

    for path, html in pages.items():  # an error page too: htmx may post from anywhere
        assert f'<meta name="csrf-token" content="{token}">' in html, path
        assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in html, path
    logout_form = pages["/customers"].split('action="/logout">', 1)[1].split("</form>")[0]
    assert f'<input type="hidden" name="csrf_token" value="{token}">' in logout_form


def test_every_post_form_in_the_templates_has_the_csrf_field() -> None:
    forms = []
    for template in TEMPLATES_DIR.glob("*.html"):
        forms += re.findall(
            r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", template.read_text(), re.S
        )

    assert len(forms) >= 2  # login and logout: the scan itself works
    assert all("csrf_input()" in form for form in forms)
