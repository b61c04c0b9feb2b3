"""The duplicate check over HTTP: GET /customers/duplicates tells a rep only what their
scope allows; POST /customers answers 409 ``duplicate`` for a phone or email match unless
``allow_duplicate``; a pooled customer's contacts are masked on the customer read."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.testclient import TestClient

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e.conftest import World
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_org import API, client_for, ok


def _customers(app: Fenpei) -> int:
    with app.engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(t.customers)) or 0


def test_a_create_with_a_known_phone_is_a_409_with_the_matches_unless_allowed(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    ok(user_client.patch(f"{API}/customers/{seeded.acme_id}", json={"phone": "+86 138-0013-8000"}))
    before = _customers(app)

    refused = user_client.post(
        f"{API}/customers?route=false", json={"name": "Acme again", "phone": "13800138000"}
    )
    body = refused.json()
    assert (refused.status_code, body["code"]) == (409, "duplicate")
    assert [(m["matched"], m["customer_id"], m["owner_name"]) for m in body["matches"]] == [
        (["phone"], seeded.acme_id, "Darcel Schlecht")
    ]
    assert _customers(app) == before

    allowed = user_client.post(
        f"{API}/customers?route=false",
        json={"name": "Acme again", "phone": "13800138000", "allow_duplicate": True},
    )
    by_query = user_client.post(
        f"{API}/customers?route=false&allow_duplicate=true",
        json={"name": "Acme thrice", "phone": "138 0013 8000"},
    )
    assert (allowed.status_code, by_query.status_code) == (201, 201)
    assert _customers(app) == before + 2


def test_a_company_match_alone_does_not_stop_a_create(
    user_client: TestClient, seeded: World
) -> None:
    created = user_client.post(
        f"{API}/customers?route=false", json={"name": "Acme 北京", "company_name": "ACME Inc."}
    )
    assert created.status_code == 201


def test_a_bad_allow_duplicate_names_the_field(user_client: TestClient, seeded: World) -> None:
    refused = user_client.post(f"{API}/customers", json={"name": "X", "allow_duplicate": "perhaps"})
    assert_error(refused, 422, "validation_failed", "allow_duplicate")


def test_a_rep_learns_the_owner_but_not_the_customer_outside_their_scope(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    ok(user_client.put(f"{API}/pools/public", json={"protection_days": 30}))
    ok(user_client.patch(f"{API}/customers/{seeded.acme_id}", json={"email": "ceo@acme.cn"}))
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)

    found = ok(moses.get(f"{API}/customers/duplicates", params={"email": "CEO@ACME.CN"}))
    by_admin = ok(
        user_client.get(f"{API}/customers/duplicates", params={"company": "acme 有限公司"})
    )

    [match] = found["matches"]
    assert (match["visible"], match["customer_id"], match["name"]) == (False, None, None)
    assert match["owner_name"] == "Darcel Schlecht"
    assert match["protected_until"] is not None
    assert [m["customer_id"] for m in by_admin["matches"]] == [seeded.acme_id]


def test_the_check_needs_something_to_compare(user_client: TestClient, seeded: World) -> None:
    assert_error(user_client.get(f"{API}/customers/duplicates"), 422, "validation_failed", "phone")
    assert_error(
        user_client.get(f"{API}/customers/duplicates", params={"phone": "12"}),
        422, "validation_failed", "phone",
    )  # fmt: skip


def test_a_pooled_customer_read_masks_contacts_for_a_manager_not_an_admin(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    ok(user_client.put(f"{API}/pools/public", json={"mask_contacts": True}))
    ok(user_client.patch(f"{API}/customers/{seeded.globex_id}", json={"phone": "13800138000"}))
    with app.engine.begin() as connection:
        connection.execute(
            sa.update(t.customers)
            .where(t.customers.c.id == seeded.globex_id)
            .values(owner_id=None, pool="public", team_id=seeded.team_id)
        )
    boss = client_for(app, "boss", Role.manager)
    with app.engine.begin() as connection:
        boss_id = connection.scalar(sa.select(t.users.c.id).where(t.users.c.username == "boss"))
        connection.execute(
            sa.update(t.teams).where(t.teams.c.id == seeded.team_id).values(manager_user_id=boss_id)
        )

    read = ok(boss.get(f"{API}/customers/{seeded.globex_id}"))
    listed = ok(boss.get(f"{API}/customers", params={"q": "Globex"}))
    admin_read = ok(user_client.get(f"{API}/customers/{seeded.globex_id}"))

    assert read["phone"] == "138****8000"
    assert [c["phone"] for c in listed["items"]] == ["138****8000"]
    assert admin_read["phone"] == "13800138000"


def _waiting(app: Fenpei, customer_id: int, pool: str = "public") -> None:
    with app.engine.begin() as connection:
        connection.execute(
            sa.update(t.customers)
            .where(t.customers.c.id == customer_id)
            .values(owner_id=None, pool=pool)
        )


def test_an_admin_moves_pool_customers_and_an_owned_one_is_named(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _waiting(app, seeded.globex_id)
    _waiting(app, seeded.script_id)

    moved = user_client.post(
        f"{API}/pools/public/move",
        json={
            "customer_ids": [seeded.script_id, seeded.globex_id],
            "to_pool": f"team:{seeded.team_id}",
        },
    )
    refused = user_client.post(
        f"{API}/pools/public/move", json={"customer_ids": [seeded.acme_id], "to_pool": "vip"}
    )
    elsewhere = user_client.post(
        f"{API}/pools/public/move", json={"customer_ids": [seeded.globex_id], "to_pool": "vip"}
    )

    records = ok(moved, 201)
    assert [(r["customer_id"], r["method"]) for r in records] == [
        (seeded.globex_id, "move"), (seeded.script_id, "move"),
    ]  # fmt: skip
    assert_error(refused, 422, "validation_failed", "customer_ids")
    assert "has an owner" in refused.json()["errors"][0]["message"]
    assert "is not waiting in public" in elsewhere.json()["errors"][0]["message"]


def test_a_rep_may_not_move_pool_customers(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _waiting(app, seeded.globex_id)
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)
    refused = moses.post(
        f"{API}/pools/public/move", json={"customer_ids": [seeded.globex_id], "to_pool": "vip"}
    )
    assert_error(refused, 403, "permission_denied")
