"""API tokens over HTTP, on SQLite and PostgreSQL: bearer authentication, scopes derived from
the route, revocation and expiry, last use recorded, the plaintext never stored."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.testclient import TestClient

from fenpei.adapters.db import tables
from fenpei.api.token_scopes import require_token_scope
from fenpei.app import API_PREFIX, create_app
from fenpei.bootstrap import Fenpei
from fenpei.domain.scopes import AREAS
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import tokens, users
from tests.e2e.conftest import ADMIN_USERNAME, World, asgi_app
from tests.e2e.test_api import assert_error
from tests.fakes import FixedClock

API = API_PREFIX


def make_token(
    app: Fenpei,
    *scopes: str,
    username: str = ADMIN_USERNAME,
    expires_at: object = None,
) -> tuple[int, str]:
    """A token for ``username`` made by the service (not over HTTP): its id and plaintext."""
    with app.uow() as uow:
        token, plaintext = tokens.create_token(
            uow=uow,
            username=username,
            name="test",
            scopes=list(scopes),
            actor=SYSTEM,
            now=app.now(),
            expires_at=expires_at,  # type: ignore[arg-type]
        )
        uow.commit()
    assert token.id is not None
    return token.id, plaintext


def make_user(app: Fenpei, username: str, role: Role) -> None:
    with app.uow() as uow:
        users.create_user(
            uow=uow,
            hasher=app.hasher,
            username=username,
            password="long enough password",
            role=role,
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()


def bearer(plaintext: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plaintext}"}


def token_row(app: Fenpei, token_id: int) -> dict[str, object]:
    with app.engine.connect() as connection:
        row = connection.execute(
            sa.select(tables.api_tokens).where(tables.api_tokens.c.id == token_id)
        ).one()
    return dict(row._mapping)


def count(app: Fenpei, table: sa.Table) -> int:
    with app.engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0


@pytest.fixture
def api(app: Fenpei, seeded: World) -> Iterator[TestClient]:
    """A client with no session: every request says who it is with a header."""
    with TestClient(asgi_app(app), follow_redirects=False) as client:
        yield client


def test_a_token_reads_the_api_and_its_last_use_is_written_at_most_once_a_minute(
    app: Fenpei, api: TestClient, clock: FixedClock
) -> None:
    token_id, plaintext = make_token(app, "customers:read")
    first = clock.now()

    response = api.get(f"{API}/customers", headers=bearer(plaintext))

    assert response.status_code == 200, response.text
    assert response.json()["total"] == 3
    assert token_row(app, token_id)["last_used_at"] == first
    clock.advance(seconds=59)
    assert api.get(f"{API}/customers", headers=bearer(plaintext)).status_code == 200
    assert token_row(app, token_id)["last_used_at"] == first
    clock.advance(seconds=2)
    assert api.get(f"{API}/customers", headers=bearer(plaintext)).status_code == 200
    assert token_row(app, token_id)["last_used_at"] == clock.now()


def test_a_scope_missing_is_403_naming_it(app: Fenpei, api: TestClient) -> None:
    token_id, plaintext = make_token(app, "leads:write", "org:read")
    before = count(app, tables.customers)

    assert api.get(f"{API}/reps", headers=bearer(plaintext)).status_code == 200
    read = api.get(f"{API}/customers", headers=bearer(plaintext))
    write = api.post(f"{API}/customers", json={"name": "New"}, headers=bearer(plaintext))
    tokens_list = api.get(f"{API}/tokens", headers=bearer(plaintext))

    assert_error(read, 403, "permission_denied")
    assert "'customers:read'" in read.json()["message"]
    assert_error(write, 403, "permission_denied")
    assert "'customers:write'" in write.json()["message"]
    assert "'tokens:read'" in tokens_list.json()["message"]
    assert count(app, tables.customers) == before
    assert token_row(app, token_id)["last_used_at"] is not None  # the allowed read counted


def test_star_scope_allows_every_area(app: Fenpei, api: TestClient) -> None:
    _, plaintext = make_token(app, "*")
    for path in ("customers", "reps", "rules", "audit", "tokens"):
        response = api.get(f"{API}/{path}", headers=bearer(plaintext))
        assert response.status_code == 200, (path, response.text)


def test_a_revoked_token_is_401(app: Fenpei, api: TestClient) -> None:
    _, admin = make_token(app, "*")
    token_id, plaintext = make_token(app, "customers:read")
    assert api.get(f"{API}/customers", headers=bearer(plaintext)).status_code == 200

    revoked = api.delete(f"{API}/tokens/{token_id}", headers=bearer(admin))

    assert revoked.status_code == 204, revoked.text
    assert token_row(app, token_id)["revoked_at"] == app.now()
    assert_error(api.get(f"{API}/customers", headers=bearer(plaintext)), 401, "not_authenticated")


def test_an_expired_token_is_401(app: Fenpei, api: TestClient, clock: FixedClock) -> None:
    _, plaintext = make_token(app, "customers:read", expires_at=clock.now() + timedelta(hours=1))
    assert api.get(f"{API}/customers", headers=bearer(plaintext)).status_code == 200

    clock.advance(hours=1)

    response = api.get(f"{API}/customers", headers=bearer(plaintext))
    assert_error(response, 401, "not_authenticated")
    assert "unknown, revoked or expired" in response.json()["message"]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer fp_nonsense", "Bearer ", "Basic YWRtaW46eA==", "Bearer fp_0123456789ab_" + "x" * 43],
)
def test_a_bad_authorization_header_is_401_never_500(api: TestClient, authorization: str) -> None:
    response = api.get(f"{API}/customers", headers={"Authorization": authorization})
    assert_error(response, 401, "not_authenticated")
    assert response.json()["message"].startswith("Authorization: ")


def test_a_token_does_not_open_the_html_pages(app: Fenpei, api: TestClient) -> None:
    _, plaintext = make_token(app, "*")

    response = api.get("/customers", headers=bearer(plaintext))

    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/login")


def test_a_token_is_limited_by_its_users_role_too(app: Fenpei, api: TestClient) -> None:
    make_user(app, "auditor", Role.auditor)
    _, plaintext = make_token(app, "*", username="auditor")
    before = count(app, tables.rules)

    response = api.post(
        f"{API}/rules",
        json={"name": "x", "conditions": {"all": []}, "target": {"kind": "pool"}},
        headers=bearer(plaintext),
    )

    assert_error(response, 403, "permission_denied")
    assert count(app, tables.rules) == before


def test_created_token_is_shown_once_and_only_its_hash_is_stored(
    app: Fenpei, api: TestClient
) -> None:
    _, admin = make_token(app, "tokens:write", "tokens:read", "leads:write")

    response = api.post(
        f"{API}/tokens",
        json={"name": "web form", "scopes": ["leads:write"]},
        headers=bearer(admin),
    )

    assert response.status_code == 201, response.text
    created = response.json()
    plaintext, prefix = created["token"], created["prefix"]
    assert plaintext.startswith(f"fp_{prefix}_") and len(created["webhook_secret"]) == 64
    assert created["username"] == ADMIN_USERNAME and created["created_by"] == ADMIN_USERNAME
    secret = plaintext.removeprefix(f"fp_{prefix}_")
    row = token_row(app, created["id"])
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(row) and created["webhook_secret"] not in str(row)
    with app.engine.connect() as connection:
        audit = str(connection.execute(sa.select(tables.audit_log)).all())
    assert secret not in audit and "secret_hash" not in audit
    listed = api.get(f"{API}/tokens", headers=bearer(admin)).json()
    assert {t["id"] for t in listed} >= {created["id"]}
    assert all("token" not in t and "webhook_secret" not in t for t in listed)
    lead = api.post(f"{API}/leads", json={"name": "By token"}, headers=bearer(plaintext))
    assert lead.status_code == 201, lead.text


def test_a_token_cannot_mint_a_wider_token(app: Fenpei, api: TestClient) -> None:
    _, narrow = make_token(app, "tokens:write")
    before = count(app, tables.api_tokens)

    response = api.post(
        f"{API}/tokens", json={"name": "wider", "scopes": ["*"]}, headers=bearer(narrow)
    )

    assert_error(response, 422, "validation_failed", "scopes[0]")
    assert count(app, tables.api_tokens) == before


def test_unknown_scope_is_422_naming_it(app: Fenpei, api: TestClient) -> None:
    _, admin = make_token(app, "*")
    response = api.post(
        f"{API}/tokens", json={"name": "n", "scopes": ["leads:write", "foo"]}, headers=bearer(admin)
    )
    assert_error(response, 422, "validation_failed", "scopes[1]")
    assert "unknown scope 'foo'" in response.json()["message"]


def test_a_non_admin_sees_and_revokes_only_their_own_tokens(app: Fenpei, api: TestClient) -> None:
    make_user(app, "mia", Role.manager)
    admins_id, _ = make_token(app, "leads:write")
    mine_id, mine = make_token(app, "tokens:read", "tokens:write", username="mia")

    listed = api.get(f"{API}/tokens", headers=bearer(mine)).json()
    refused = api.delete(f"{API}/tokens/{admins_id}", headers=bearer(mine))

    assert [t["id"] for t in listed] == [mine_id]
    assert_error(refused, 404, "not_found")
    assert token_row(app, admins_id)["revoked_at"] is None


def test_every_api_route_needs_a_scope_from_a_known_area(app: Fenpei) -> None:
    routes = [
        context
        for context in iter_route_contexts(create_app(app).routes)
        if isinstance(context.original_route, APIRoute) and str(context.path).startswith(API)
    ]

    assert len(routes) > 20
    for context in routes:
        route = context.original_route
        assert isinstance(route, APIRoute)
        calls = {d.call for d in context.dependant.dependencies}
        assert require_token_scope in calls, route.path
        # The scope is read from the matched route's own tags (request.scope["route"]).
        assert route.tags and str(route.tags[0]) in AREAS, (route.path, route.tags)
