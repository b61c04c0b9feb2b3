"""Lead intake over HTTP: stored and routed in one transaction, or refused with nothing stored."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e.conftest import World
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_rules import API, client_as, create, customer_count, east_rule
from tests.e2e.test_api_rules import default_rule as default_rule  # a fixture, shared


def test_lead_is_stored_and_routed_by_the_matching_rule(
    user_client: TestClient, seeded: World, default_rule: int
) -> None:
    rule = create(user_client, east_rule(seeded))

    response = user_client.post(
        f"{API}/leads", json={"name": "Wang Fang 王芳", "region": "East", "email": "w@acme.cn"}
    )

    assert response.status_code == 201, response.text
    customer, decision = response.json()["customer"], response.json()["decision"]
    assert decision["outcome"] == "assigned" and decision["rule_name"] == rule["name"]
    assert customer["owner_id"] == decision["rep_id"]
    assert customer["owner_name"] in ("Moses Frase", "Darcel Schlecht")
    assert customer["owner_name"] in decision["text"]
    stored = user_client.get(f"{API}/customers/{customer['id']}").json()
    assert stored["owner_id"] == customer["owner_id"]
    history = user_client.get(f"{API}/customers/{customer['id']}/history").json()
    assert [h["rule_id"] for h in history] == [rule["id"]]


def test_lead_no_rule_matches_goes_to_the_public_pool(
    user_client: TestClient, seeded: World, default_rule: int
) -> None:
    create(user_client, east_rule(seeded))

    response = user_client.post(f"{API}/leads", json={"name": "Far away", "region": "West"})

    assert response.status_code == 201, response.text
    assert response.json()["customer"]["owner_id"] is None
    assert response.json()["customer"]["pool"] == "public"
    assert response.json()["decision"]["outcome"] == "pool"


def test_lead_with_route_false_stays_unowned(
    user_client: TestClient, seeded: World, default_rule: int
) -> None:
    create(user_client, east_rule(seeded))

    response = user_client.post(
        f"{API}/leads", json={"name": "Later", "region": "East", "route": False}
    )

    assert response.status_code == 201, response.text
    assert response.json()["decision"] is None
    customer = response.json()["customer"]
    assert customer["owner_id"] is None and customer["owner_name"] is None
    assert user_client.get(f"{API}/customers/{customer['id']}").json()["owner_id"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Bad mail", "email": "not an email"}, "email"),
        ({"email": "ok@example.com"}, "name"),
        ({"name": "x", "colour": "red"}, "colour"),
        ({"name": "x", "route": "maybe"}, "route"),
    ],
)
def test_bad_lead_is_422_naming_the_field_and_nothing_is_written(
    app: Fenpei,
    user_client: TestClient,
    seeded: World,
    default_rule: int,
    body: dict[str, object],
    field: str,
) -> None:
    before = customer_count(app)

    response = user_client.post(f"{API}/leads", json=body)

    assert_error(response, 422, "validation_failed", field)
    assert customer_count(app) == before


def test_lead_body_must_be_an_object(user_client: TestClient, default_rule: int) -> None:
    assert_error(user_client.post(f"{API}/leads", json=["a"]), 422, "validation_failed")
    assert_error(
        user_client.post(
            f"{API}/leads", content=b"{", headers={"content-type": "application/json"}
        ),
        422,
        "validation_failed",
    )


def test_a_manager_may_submit_leads_but_a_rep_may_not(
    app: Fenpei, seeded: World, default_rule: int
) -> None:
    with client_as(app, Role.manager) as manager:
        response = manager.post(f"{API}/leads", json={"name": "From a manager"})
        assert response.status_code == 201, response.text
        assert response.json()["decision"]["outcome"] == "pool"
    before = customer_count(app)
    with client_as(app, Role.rep) as rep:
        assert_error(rep.post(f"{API}/leads", json={"name": "Nope"}), 403, "permission_denied")
    assert customer_count(app) == before


def test_leads_need_a_login(client: TestClient, seeded: World) -> None:
    assert_error(client.post(f"{API}/leads", json={"name": "x"}), 401, "not_authenticated")
