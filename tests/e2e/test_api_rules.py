"""Rules over HTTP: admins change them, managers and auditors read and preview them, reps
see nothing of them; one error shape."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import customers, rules, users
from fenpei.services.ports import CustomerQuery
from tests.e2e.conftest import World, asgi_app, log_in
from tests.e2e.test_api import assert_error

API = "/api/v1"
EAST = {"field": "region", "op": "eq", "value": "East"}


@pytest.fixture
def default_rule(app: Fenpei, seeded: World) -> int:
    with app.uow() as uow:
        rule = rules.ensure_default_rule(uow=uow, actor=SYSTEM, now=app.now())
        uow.commit()
    assert rule.id is not None
    return rule.id


def east_rule(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "name": "East → East team",
        "conditions": {"all": [EAST]},
        "target": {"kind": "team", "team_id": world.team_id},
        "strategy": "round_robin",
        **fields,
    }


def create(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}/rules", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def client_as(app: Fenpei, role: Role) -> TestClient:
    """A fresh client logged in as a new user with ``role``."""
    name = f"user-{role.value}"
    with app.uow() as uow:
        users.create_user(
            uow=uow,
            hasher=app.hasher,
            username=name,
            password="long enough password",
            role=role,
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()
    client = TestClient(asgi_app(app), follow_redirects=False)
    log_in(client, "long enough password", username=name)
    return client


def customer_count(app: Fenpei) -> int:
    with app.uow(read_only=True) as uow:
        return customers.list_customers(uow=uow, query=CustomerQuery(limit=1), actor=SYSTEM)[1]


def test_created_rule_routes_a_lead_and_the_explanation_names_it(
    user_client: TestClient, seeded: World, default_rule: int
) -> None:
    rule = create(user_client, east_rule(seeded))

    assert rule["version"] == 1 and rule["enabled"] and not rule["is_default"]
    assert rule["conditions_text"] and "East" in rule["conditions_text"]
    listed = user_client.get(f"{API}/rules").json()
    assert [r["id"] for r in listed] == [rule["id"], default_rule]  # the default is tried last

    lead = user_client.post(f"{API}/leads", json={"name": "Wang", "region": "East"})
    assert lead.status_code == 201, lead.text
    decision = lead.json()["decision"]
    assert decision["outcome"] == "assigned" and decision["rule_id"] == rule["id"]
    assert lead.json()["customer"]["owner_id"] in (seeded.moses_id, seeded.darcel_id)
    assert decision["rule_name"] == rule["name"]
    assert rule["name"] in decision["text"]


def test_bad_rule_is_422_naming_the_json_path_and_nothing_is_stored(
    user_client: TestClient, seeded: World, default_rule: int
) -> None:
    body = east_rule(seeded, conditions={"all": [{"field": "regoin", "op": "eq", "value": "x"}]})

    assert_error(
        user_client.post(f"{API}/rules", json=body),
        422,
        "validation_failed",
        "conditions.all[0].field",
    )
    assert_error(
        user_client.post(f"{API}/rules", json={**east_rule(seeded), "target": {"kind": "nobody"}}),
        422,
        "validation_failed",
        "target.kind",
    )
    assert_error(
        user_client.post(f"{API}/rules", json={**east_rule(seeded), "colour": "red"}),
        422,
        "validation_failed",
        "colour",
    )
    assert [r["id"] for r in user_client.get(f"{API}/rules").json()] == [default_rule]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"conditions": None}, "conditions"),
        ({"strategy_options": None}, "strategy_options"),
        ({"priority": "high"}, "priority"),
        ({"priority": True}, "priority"),
        ({"priority": 10**30}, "priority"),
        ({"target": []}, "target"),
        ({"window": {"hours": ["25:00", "x"]}}, "window.hours"),
        ({"strategy": "coin_toss"}, "strategy"),
        ({"required_skills": [""]}, "required_skills"),
    ],
)
def test_bad_update_is_422_never_500_and_keeps_the_rule(
    user_client: TestClient, seeded: World, change: dict[str, Any], field: str
) -> None:
    rule = create(user_client, east_rule(seeded))

    response = user_client.patch(f"{API}/rules/{rule['id']}", json=change)

    assert_error(response, 422, "validation_failed", field)
    assert user_client.get(f"{API}/rules/{rule['id']}").json()["version"] == 1


def test_only_an_admin_may_change_rules_managers_and_auditors_read_and_preview(
    app: Fenpei, user_client: TestClient, seeded: World, default_rule: int
) -> None:
    rule = create(user_client, east_rule(seeded))
    for role in (Role.manager, Role.auditor):
        with client_as(app, role) as reader:
            for method, path, body in [
                ("POST", "/rules", east_rule(seeded)),
                ("POST", "/rules", {"bad": "body"}),  # refused before the body is read
                ("PATCH", f"/rules/{rule['id']}", {"priority": 1}),
                ("DELETE", f"/rules/{rule['id']}", None),
                ("POST", "/rules/reorder", {"rule_ids": [rule["id"]]}),
                ("POST", f"/rules/{rule['id']}/disable", None),
                ("POST", f"/rules/{rule['id']}/versions/1/restore", None),
            ]:
                response = reader.request(method, API + path, json=body)
                assert_error(response, 403, "permission_denied")
            listed = reader.get(f"{API}/rules").json()
            assert [r["id"] for r in listed] == [rule["id"], default_rule]
            assert reader.get(f"{API}/rules/{rule['id']}").status_code == 200
            assert reader.get(f"{API}/rules/{rule['id']}/versions").status_code == 200
            preview = reader.post(f"{API}/rules/preview", json={"name": "W", "region": "East"})
            assert preview.status_code == 200, preview.text
    assert user_client.get(f"{API}/rules/{rule['id']}").json()["version"] == 1


def test_a_rep_sees_nothing_of_the_rule_book(
    app: Fenpei, user_client: TestClient, seeded: World, default_rule: int
) -> None:
    rule = create(user_client, east_rule(seeded))
    with client_as(app, Role.rep) as rep:
        for method, path, body in [
            ("GET", "/rules", None),
            ("GET", f"/rules/{rule['id']}", None),
            ("GET", f"/rules/{rule['id']}/versions", None),
            ("GET", "/rules/999", None),  # no hint whether a rule exists
            ("POST", "/rules/preview", {"name": "W", "region": "East"}),
            ("POST", "/rules/preview", {"name": "W", "email": "not mail"}),  # before the body
        ]:
            response = rep.request(method, API + path, json=body)
            assert_error(response, 403, "permission_denied")
            assert "East" not in response.text
        assert rep.get("/rules").status_code == 403  # the pages agree


def test_preview_writes_nothing_and_does_not_move_the_cursor(
    app: Fenpei, user_client: TestClient, seeded: World, default_rule: int
) -> None:
    create(user_client, east_rule(seeded))
    before = customer_count(app)
    fields = {"name": "Preview only", "region": "East"}

    first = user_client.post(f"{API}/rules/preview", json=fields).json()
    second = user_client.post(f"{API}/rules/preview", json=fields).json()

    assert first["outcome"] == "assigned" and first["text"]
    assert second["rep_id"] == first["rep_id"]
    assert customer_count(app) == before
    lead = user_client.post(f"{API}/leads", json=fields).json()
    assert lead["customer"]["owner_id"] == first["rep_id"]  # the real route takes that turn


def test_preview_with_bad_fields_is_422_naming_them(
    user_client: TestClient, default_rule: int
) -> None:
    response = user_client.post(f"{API}/rules/preview", json={"name": "x", "email": "not mail"})

    assert_error(response, 422, "validation_failed", "email")


def test_versions_and_restore_over_http(
    user_client: TestClient, seeded: World, default_rule: int
) -> None:
    rule = create(user_client, east_rule(seeded))
    url = f"{API}/rules/{rule['id']}"

    changed = user_client.patch(url, json={"strategy": "least_loaded", "name": "Renamed"}).json()
    disabled = user_client.post(f"{url}/disable").json()
    restored = user_client.post(f"{url}/versions/1/restore")

    assert changed["version"] == 2 and changed["strategy"] == "least_loaded"
    assert disabled["version"] == 3 and not disabled["enabled"]
    assert restored.status_code == 200, restored.text
    assert restored.json()["version"] == 4
    assert restored.json()["name"] == rule["name"] and restored.json()["enabled"]
    assert restored.json()["strategy"] == "round_robin"
    versions = user_client.get(f"{url}/versions").json()
    assert [v["version"] for v in versions] == [1, 2, 3, 4]
    assert versions[1]["snapshot"]["name"] == "Renamed" and versions[1]["actor"] == "admin"
    assert_error(user_client.post(f"{url}/versions/9/restore"), 404, "not_found")
    enabled = user_client.post(f"{url}/enable").json()
    assert enabled["enabled"] and enabled["version"] == 5


def test_reorder_sets_the_order_rules_are_tried(
    user_client: TestClient, seeded: World, default_rule: int
) -> None:
    a = create(user_client, east_rule(seeded, name="A", priority=10))
    b = create(user_client, east_rule(seeded, name="B", priority=20))

    response = user_client.post(f"{API}/rules/reorder", json={"rule_ids": [b["id"], a["id"]]})

    assert response.status_code == 200, response.text
    assert [r["name"] for r in response.json()][:2] == ["B", "A"]
    assert [r["id"] for r in user_client.get(f"{API}/rules").json()] == [
        b["id"],
        a["id"],
        default_rule,
    ]
    assert_error(
        user_client.post(f"{API}/rules/reorder", json={"rule_ids": [a["id"], default_rule]}),
        422,
        "validation_failed",
        "rule_ids[1]",
    )
    assert_error(
        user_client.post(f"{API}/rules/reorder", json={"rule_ids": [a["id"], a["id"]]}),
        422,
        "validation_failed",
        "rule_ids",
    )
    assert_error(
        user_client.post(f"{API}/rules/reorder", json={"rule_ids": [0]}),
        422,
        "validation_failed",
        "rule_ids[0]",
    )


def test_delete_removes_a_rule_but_not_the_default(
    user_client: TestClient, seeded: World, default_rule: int
) -> None:
    rule = create(user_client, east_rule(seeded))

    assert user_client.delete(f"{API}/rules/{rule['id']}").status_code == 204
    assert_error(user_client.get(f"{API}/rules/{rule['id']}"), 404, "not_found")
    assert_error(user_client.delete(f"{API}/rules/{default_rule}"), 422, "validation_failed")
    assert [r["id"] for r in user_client.get(f"{API}/rules").json()] == [default_rule]


def test_unknown_rule_is_404_everywhere(user_client: TestClient, default_rule: int) -> None:
    for method, path in [
        ("GET", "/rules/999"),
        ("PATCH", "/rules/999"),
        ("DELETE", "/rules/999"),
        ("GET", "/rules/999/versions"),
        ("POST", "/rules/999/enable"),
        ("POST", "/rules/999/versions/1/restore"),
    ]:
        body = {"priority": 5} if method == "PATCH" else None
        assert_error(user_client.request(method, API + path, json=body), 404, "not_found")
    assert_error(user_client.get(f"{API}/rules/0"), 422, "validation_failed", "rule_id")


def test_rules_need_a_login(client: TestClient, seeded: World) -> None:
    assert_error(client.get(f"{API}/rules"), 401, "not_authenticated")
    assert_error(client.post(f"{API}/rules/preview", json={}), 401, "not_authenticated")
