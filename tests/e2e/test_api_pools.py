"""The pool over HTTP: terms set by an admin, a rep lists, claims and returns; refusals
answer 409 with the term that refused, and a masked pool hides contacts from reps."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.testclient import TestClient

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e.conftest import World
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_org import API, client_for, ok


def _into_pool(app: Fenpei, customer_id: int, pool: str = "public", **values: object) -> None:
    with app.engine.begin() as connection:
        connection.execute(
            sa.update(t.customers)
            .where(t.customers.c.id == customer_id)
            .values(owner_id=None, pool=pool, phone="13800138000", **values)
        )


def test_a_rep_claims_within_the_terms_and_returns_with_a_reason(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _into_pool(app, seeded.globex_id, stage="contacted")  # a won one is never returned
    terms = ok(
        user_client.put(
            f"{API}/pools/public",
            json={"name": "公海", "daily_claim_cap": 1, "cooldown_days": 3, "mask_contacts": True},
        )
    )
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)

    listed = ok(moses.get(f"{API}/pools/public/customers"))
    claimed = ok(moses.post(f"{API}/pools/claims", json={"customer_id": seeded.globex_id}), 201)
    again = moses.post(f"{API}/pools/claims", json={"customer_id": seeded.globex_id})
    back = ok(
        moses.post(
            f"{API}/pools/returns",
            json={"customer_id": seeded.globex_id, "reason": "unreachable", "note": "空号"},
        ),
        201,
    )
    cooling = moses.post(f"{API}/pools/claims", json={"customer_id": seeded.globex_id})

    assert (terms["configured"], terms["daily_claim_cap"], terms["name"]) == (True, 1, "公海")
    assert (listed["total"], listed["masked"]) == (1, True)
    assert listed["customers"][0]["phone"] == "138****8000"
    assert (claimed["method"], claimed["to_rep_id"]) == ("claim", seeded.moses_id)
    assert_error(again, 409, "claim_refused")
    assert (back["method"], back["to_rep_id"], back["reason"]) == (
        "return", None, "Unreachable / 联系不上: 空号",
    )  # fmt: skip
    assert_error(cooling, 409, "claim_refused")
    assert "may claim it again" in cooling.json()["message"]
    admin_view = ok(user_client.get(f"{API}/pools/public/customers"))
    assert admin_view["customers"][0]["phone"] == "13800138000"


def test_only_reps_claim_only_admins_set_terms_and_bad_terms_name_the_field(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _into_pool(app, seeded.globex_id)
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)

    assert_error(
        user_client.post(f"{API}/pools/claims", json={"customer_id": seeded.globex_id}),
        403,
        "permission_denied",
    )
    assert_error(moses.put(f"{API}/pools/public", json={"max_owned": 3}), 403, "permission_denied")
    assert_error(
        user_client.put(f"{API}/pools/public", json={"cooldown_days": -1}),
        422,
        "validation_failed",
        "cooldown_days",
    )
    assert_error(
        user_client.put(f"{API}/pools/team:999", json={"name": "x"}),
        422,
        "validation_failed",
        "team_id",
    )
    assert_error(
        moses.post(f"{API}/pools/returns", json={"customer_id": seeded.acme_id, "reason": "other"}),
        404,
        "not_found",
    )


def test_a_team_pool_is_invisible_to_other_teams(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    other = ok(user_client.post(f"{API}/teams", json={"name": "West 华西"}), 201)
    _into_pool(app, seeded.globex_id, pool=f"team:{other['id']}")
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)

    keys = [p["key"] for p in ok(moses.get(f"{API}/pools"))]
    assert f"team:{seeded.team_id}" in keys and f"team:{other['id']}" not in keys
    assert_error(moses.get(f"{API}/pools/team:{other['id']}/customers"), 404, "not_found")
    assert_error(
        moses.post(f"{API}/pools/claims", json={"customer_id": seeded.globex_id}),
        404,
        "not_found",
    )
