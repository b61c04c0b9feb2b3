"""The JSON API over HTTP: health, login required, reads, filters, pages, one error shape."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import anyio
import pytest
from anyio import to_thread
from httpx2 import Response
from starlette.testclient import TestClient

from fenpei.app import create_app
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.config import Settings
from fenpei.http.sessions import SESSION_COOKIE, SESSION_LIFETIME
from tests.e2e.conftest import World
from tests.fakes import FixedClock

API = "/api/v1"


def names(page: dict[str, object]) -> list[str]:
    items = page["items"]
    assert isinstance(items, list)
    return [item["name"] for item in items]


def assert_error(response: Response, status: int, code: str, field: str | None = None) -> None:
    """The response has ``status`` and the one error shape, naming ``field`` if given."""
    where = f"{response.request.method} {response.request.url}"
    assert response.status_code == status, (where, response.text)
    body = response.json()
    assert set(body) == {"code", "message", "errors"}, where
    assert body["code"] == code and body["message"], (where, body)
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], (where, body)


# --- health ---------------------------------------------------------------------------------


def test_healthz_is_public_and_reports_the_database_ok(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = bootstrap(Settings(database_url=f"sqlite:///{tmp_path}/missing/dir/fenpei.db"))
    caplog.set_level(logging.CRITICAL)
    try:
        with TestClient(create_app(broken)) as client:
            response = client.get("/healthz")
    finally:
        broken.close()

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_request_finding_no_free_connection_is_503_busy_not_a_crash(
    app: Fenpei, caplog: pytest.LogCaptureFixture
) -> None:
    """Overload, not a fault: every connection of the process's pool stays in use for the
    pool's timeout (here the only one, held by the test); the request is told to retry."""
    url = app.engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, db_pool_size=1, db_max_overflow=0)
    busy = bootstrap(settings.model_copy(update={"db_pool_timeout_seconds": 0.2}))
    caplog.set_level(logging.CRITICAL)
    try:
        with busy.engine.connect(), TestClient(create_app(busy)) as client:
            response = client.get(f"{API}/customers", headers={"Authorization": "Bearer x"})
        with TestClient(create_app(busy)) as client:  # the connection is free again
            after = client.get(f"{API}/customers", headers={"Authorization": "Bearer x"})
    finally:
        busy.close()

    assert_error(response, 503, "busy")
    assert response.headers["Retry-After"] == "1"
    assert after.status_code == 401


def test_requests_worked_on_at_once_are_bounded_by_the_setting(tmp_path: Path) -> None:
    """``FENPEI_HTTP_THREADS``: the app's start-up sets how many requests run at once."""
    fenpei = bootstrap(Settings(database_url=f"sqlite:///{tmp_path}/f.db", http_threads=3))
    app = create_app(fenpei)

    async def tokens_while_running() -> float:
        async with app.router.lifespan_context(app):
            return to_thread.current_default_thread_limiter().total_tokens

    try:
        assert anyio.run(tokens_while_running) == 3
    finally:
        fenpei.close()


# --- login required -------------------------------------------------------------------------


def test_api_without_a_session_is_401_in_the_error_shape(client: TestClient, seeded: World) -> None:
    for path in [
        "/customers",
        f"/customers/{seeded.acme_id}",
        f"/customers/{seeded.acme_id}/history",
        "/reps",
        "/teams",
        "/customers?limit=0",  # not logged in comes first, before input checks
    ]:
        assert_error(client.get(API + path), 401, "not_authenticated")


def test_tampered_session_cookie_is_401(user_client: TestClient) -> None:
    token = user_client.cookies[SESSION_COOKIE]
    body, signature = token.split(".")
    user_client.cookies.clear()
    user_client.cookies.set(SESSION_COOKIE, f"{body}x.{signature}")

    assert_error(user_client.get(f"{API}/customers"), 401, "not_authenticated")


def test_session_expires_after_its_lifetime(user_client: TestClient, clock: FixedClock) -> None:
    assert user_client.get(f"{API}/customers").status_code == 200

    clock.at += SESSION_LIFETIME

    assert_error(user_client.get(f"{API}/customers"), 401, "not_authenticated")


def test_logout_ends_the_session(user_client: TestClient) -> None:
    response = user_client.post("/logout")

    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert_error(user_client.get(f"{API}/customers"), 401, "not_authenticated")


# --- reading customers ----------------------------------------------------------------------


def test_customers_list_newest_first_with_owner_and_team_names(
    user_client: TestClient, seeded: World
) -> None:
    page = user_client.get(f"{API}/customers").json()

    assert names(page) == ["<script>alert(1)</script>", "Globex", "Acme 上海"]
    assert (page["total"], page["offset"], page["limit"]) == (3, 0, 50)
    acme = page["items"][2]
    assert acme["owner_id"] == seeded.darcel_id
    assert (acme["owner_name"], acme["team_name"]) == ("Darcel Schlecht", "East 华东")
    assert page["items"][1]["owner_id"] is None and page["items"][1]["owner_name"] is None


FILTER_CASES: list[tuple[dict[str, str], list[str]]] = [
    ({"stage": "won"}, ["Globex"]),
    ({"stage": "new"}, ["<script>alert(1)</script>", "Acme 上海"]),
    ({"q": "acme"}, ["Acme 上海"]),
    ({"q": "evil"}, ["<script>alert(1)</script>"]),  # company name is searched too
    ({"q": "nobody"}, []),
    ({"region": "West"}, ["Globex"]),
    ({"unowned": "true"}, ["<script>alert(1)</script>", "Globex"]),
    ({"stage": "", "q": ""}, ["<script>alert(1)</script>", "Globex", "Acme 上海"]),
    ({"sort": "name"}, ["<script>alert(1)</script>", "Acme 上海", "Globex"]),
    # Zone-less times are local (Asia/Shanghai): the three were created 17:30-17:32.
    ({"created_from": "2026-11-02T17:31"}, ["<script>alert(1)</script>", "Globex"]),
    ({"created_to": "2026-11-02T09:31:00Z"}, ["Acme 上海"]),
]


def test_customers_filters(user_client: TestClient, seeded: World) -> None:
    for params, expected in FILTER_CASES:
        response = user_client.get(f"{API}/customers", params=params)

        assert response.status_code == 200, (params, response.text)
        assert names(response.json()) == expected, params
        assert response.json()["total"] == len(expected), params


def test_customers_filter_by_owner_and_team(user_client: TestClient, seeded: World) -> None:
    by_owner = user_client.get(f"{API}/customers", params={"owner_id": seeded.darcel_id}).json()
    by_team = user_client.get(f"{API}/customers", params={"team_id": seeded.team_id}).json()
    nobody = user_client.get(f"{API}/customers", params={"owner_id": seeded.moses_id}).json()

    assert names(by_owner) == names(by_team) == ["Acme 上海"]
    assert nobody == {"items": [], "total": 0, "offset": 0, "limit": 50}


def test_customers_pages_report_the_total_on_every_page(
    user_client: TestClient, seeded: World
) -> None:
    first = user_client.get(f"{API}/customers", params={"limit": 2}).json()
    second = user_client.get(f"{API}/customers", params={"limit": 2, "offset": 2}).json()
    beyond = user_client.get(f"{API}/customers", params={"limit": 2, "offset": 10}).json()

    assert (first["total"], second["total"], beyond["total"]) == (3, 3, 3)
    assert names(first) + names(second) == ["<script>alert(1)</script>", "Globex", "Acme 上海"]
    assert (second["offset"], second["limit"], beyond["items"]) == (2, 2, [])


def test_customer_detail_has_owner_name(user_client: TestClient, seeded: World) -> None:
    response = user_client.get(f"{API}/customers/{seeded.acme_id}")

    assert response.status_code == 200
    customer = response.json()
    assert (customer["id"], customer["name"], customer["stage"]) == (
        seeded.acme_id,
        "Acme 上海",
        "new",
    )
    assert (customer["owner_name"], customer["team_name"]) == ("Darcel Schlecht", "East 华东")
    assert customer["assigned_at"] == "2026-11-03T09:30:00Z"


def test_customer_history_oldest_first_with_rep_names(
    user_client: TestClient, seeded: World
) -> None:
    history = user_client.get(f"{API}/customers/{seeded.acme_id}/history").json()

    assert [(h["method"], h["from_rep_name"], h["to_rep_name"]) for h in history] == [
        ("manual", None, "Moses Frase"),
        ("transfer", "Moses Frase", "Darcel Schlecht"),
    ]
    transfer = history[1]
    assert (transfer["reason"], transfer["actor"]) == ("Moses is on leave", "system")
    assert transfer["at"] == "2026-11-03T09:30:00Z"
    assert transfer["explanation"]["kind"] == "transfer"


def test_customer_without_history_has_an_empty_list(user_client: TestClient, seeded: World) -> None:
    response = user_client.get(f"{API}/customers/{seeded.globex_id}/history")

    assert response.status_code == 200 and response.json() == []


def test_unknown_customer_is_404_in_the_error_shape(user_client: TestClient) -> None:
    for suffix in ["", "/history"]:
        response = user_client.get(f"{API}/customers/999999{suffix}")

        assert_error(response, 404, "not_found")
        assert "999999" in response.json()["message"]


def test_unknown_api_path_is_404_in_the_error_shape(user_client: TestClient) -> None:
    assert_error(user_client.get(f"{API}/no-such-thing"), 404, "not_found")


BAD_QUERIES = [
    ("limit=0", "limit"),
    ("limit=abc", "limit"),
    ("limit=501", "limit"),
    ("offset=-1", "offset"),
    ("offset=99999999999999999999", "offset"),
    ("stage=nonsense", "stage"),
    ("sort=password_hash", "sort"),
    ("owner_id=0", "owner_id"),
    ("owner_id=99999999999999999999", "owner_id"),
    ("team_id=x", "team_id"),
    ("unowned=perhaps", "unowned"),
    ("q=%00", "q"),
    ("q=" + "x" * 201, "q"),
    ("region=a%00b", "region"),
    ("created_from=yesterday", "created_from"),
    ("created_from=0001-01-01", "created_from"),
    ("created_from=2026-11-03&created_to=2026-11-02", "created_to"),
]


def test_bad_query_parameters_are_422_naming_the_field(user_client: TestClient) -> None:
    for query, field in BAD_QUERIES:
        response = user_client.get(f"{API}/customers?{query}")

        assert_error(response, 422, "validation_failed", field)


def test_bad_customer_id_is_422_naming_it(user_client: TestClient) -> None:
    for customer_id in ["abc", "0", "-1", "99999999999999999999"]:
        for suffix in ["", "/history"]:
            response = user_client.get(f"{API}/customers/{customer_id}{suffix}")

            assert_error(response, 422, "validation_failed", "customer_id")


def test_several_bad_parameters_are_all_named(user_client: TestClient) -> None:
    response = user_client.get(f"{API}/customers?limit=0&stage=nonsense&offset=-5")

    assert_error(response, 422, "validation_failed")
    assert {e["field"] for e in response.json()["errors"]} == {"limit", "stage", "offset"}


# --- the sales org --------------------------------------------------------------------------


def test_reps_by_name_with_team_names(user_client: TestClient, seeded: World) -> None:
    reps = user_client.get(f"{API}/reps").json()

    assert [(r["name"], r["team_name"], r["active"]) for r in reps] == [
        ("Darcel Schlecht", "East 华东", True),
        ("Moses Frase", "East 华东", True),
    ]
    in_team = user_client.get(f"{API}/reps", params={"team_id": seeded.team_id}).json()
    assert len(in_team) == 2
    assert user_client.get(f"{API}/reps", params={"team_id": seeded.team_id + 1}).json() == []
    assert_error(user_client.get(f"{API}/reps?team_id=abc"), 422, "validation_failed", "team_id")


def test_teams(user_client: TestClient, seeded: World) -> None:
    teams = user_client.get(f"{API}/teams").json()

    assert [(t["id"], t["name"], t["parent_id"]) for t in teams] == [
        (seeded.team_id, "East 华东", None)
    ]


# --- the OpenAPI document -------------------------------------------------------------------


def test_openapi_documents_the_error_shape_and_the_filters(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/customers"]["get"]

    assert spec["info"]["title"] == "fenpei"
    assert {p["name"] for p in operation["parameters"]} >= {"q", "stage", "offset", "limit"}
    assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorRead"
    }
    assert client.get("/docs").status_code == 200


def test_building_the_app_opens_no_database_connection(tmp_path: Path) -> None:
    database = tmp_path / "fenpei.db"
    fenpei: Fenpei = bootstrap(Settings(database_url=f"sqlite:///{database}"))
    try:
        app = create_app(fenpei)
    finally:
        fenpei.close()

    assert app.state.fenpei is fenpei
    assert not database.exists()  # SQLite creates the file on the first connection


def test_session_is_still_valid_just_before_its_lifetime_ends(
    user_client: TestClient, clock: FixedClock
) -> None:
    clock.at += SESSION_LIFETIME - timedelta(minutes=1)

    assert user_client.get(f"{API}/teams").status_code == 200
