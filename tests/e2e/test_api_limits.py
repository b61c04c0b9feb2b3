"""The documented bounds over HTTP, on SQLite and PostgreSQL: oversize lists, deep rule
conditions, dates outside the range every page can show and extreme numbers answer a 422
naming the field (never a 5xx), nothing is written, and the pages and OpenAPI agree."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.limits import MAX_NESTING, NESTING_MESSAGE
from fenpei.domain.org import MAX_SKILLS_PER_KIND, MAX_TAGS
from fenpei.domain.rules import (
    MAX_CONDITION_VALUES,
    MAX_REORDERED,
    MAX_REQUIRED_SKILLS,
    MAX_TARGET_REPS,
)
from fenpei.domain.tasks import MAX_CHECKLIST_ITEMS, MAX_LINKED_CUSTOMERS
from fenpei.domain.users import SYSTEM
from fenpei.http.fields import MAX_ID
from fenpei.services import rules
from fenpei.services.assignments import MAX_BULK_CUSTOMERS, MAX_SPREAD_REPS
from tests.e2e.conftest import World
from tests.e2e.test_api import assert_error

API = "/api/v1"
EAST = {"field": "region", "op": "eq", "value": "East"}


@pytest.fixture
def rule_id(app: Fenpei, seeded: World) -> int:
    """One saved rule (version 1) beside the default rule."""
    with app.uow() as uow:
        rules.ensure_default_rule(uow=uow, actor=SYSTEM, now=app.now())
        rule = rules.create_rule(
            uow=uow,
            fields={"name": "East", "conditions": EAST, "target": {"kind": "team", "team_id": 1}},
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()
    assert rule.id is not None
    return rule.id


def a_rule(**fields: Any) -> dict[str, Any]:
    return {"name": "Bounded", "conditions": EAST, "target": {"kind": "pool"}, **fields}


def nested(depth: int) -> dict[str, Any]:
    tree: dict[str, Any] = EAST
    for _ in range(depth):
        tree = {"all": [tree]}
    return tree


def deep_text(depth: int) -> str:
    return '{"all": [' * depth + json.dumps(EAST) + "]}" * depth


RAW_DEEP_RULE = (
    '{"name": "Deep", "target": {"kind": "pool"}, "conditions": ' + deep_text(5_000) + "}"
)


def rule_book(client: TestClient) -> list[tuple[int, int]]:
    """Each rule's id and version: what a refused write must leave as it was."""
    return [(r["id"], r["version"]) for r in client.get(f"{API}/rules").json()]


def errors_of(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


# --- rules ----------------------------------------------------------------------------------


def test_a_rule_naming_100000_reps_is_refused_naming_target_rep_ids(
    user_client: TestClient, rule_id: int
) -> None:
    before = rule_book(user_client)
    body = a_rule(target={"kind": "reps", "rep_ids": list(range(1, 100_001))})

    assert_error(
        user_client.post(f"{API}/rules", json=body), 422, "validation_failed", "target.rep_ids"
    )
    response = user_client.patch(f"{API}/rules/{rule_id}", json={"target": body["target"]})
    assert_error(response, 422, "validation_failed", "target.rep_ids")
    assert rule_book(user_client) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "where"),
    [
        ("POST", "/rules", a_rule(conditions=nested(MAX_NESTING)), "conditions"),
        ("PATCH", "/rules/{rule_id}", {"conditions": nested(MAX_NESTING)}, "conditions"),
        ("POST", "/rules", RAW_DEEP_RULE, "conditions"),
        ("POST", "/rules/preview", {"name": "x", "custom": nested(MAX_NESTING)}, "custom"),
    ],
    ids=["create", "update", "create, 5000 deep", "preview"],
)
def test_deep_json_on_every_api_entry_gets_the_nesting_message(
    user_client: TestClient, rule_id: int, method: str, path: str, body: Any, where: str
) -> None:
    before = rule_book(user_client)

    url = API + path.format(rule_id=rule_id)
    if isinstance(body, str):  # too deep for the client's own JSON encoder
        headers = {"Content-Type": "application/json"}
        response = user_client.request(method, url, content=body, headers=headers)
    else:
        response = user_client.request(method, url, json=body)

    assert_error(response, 422, "validation_failed")
    [(field, message)] = errors_of(response).items()
    assert message == NESTING_MESSAGE
    # Named by its path when the service answers, as the whole body when the HTTP guard
    # (which sees the body before any route) does.
    assert field == "body" or field.startswith(where), field
    assert rule_book(user_client) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (a_rule(required_skills=["x"] * (MAX_REQUIRED_SKILLS + 1)), "required_skills"),
        (
            a_rule(conditions={"field": "region", "op": "in", "value": ["x"] * 1_001}),
            "conditions.value",
        ),
        (
            a_rule(conditions={"field": "created_at", "op": "within_days", "value": 10**30}),
            "conditions.value",
        ),
        (
            a_rule(strategy="best_match", strategy_options={"weights": {"load": 10**400}}),
            "strategy_options.weights.load",
        ),
        (a_rule(priority=10**30), "priority"),
        (a_rule(window={"ends_on": "9999-12-31"}), "window.ends_on"),
        (a_rule(target={"kind": "team", "team_id": 10**30}), "target.team_id"),
    ],
    ids=[
        "required skills",
        "in list",
        "within_days",
        "huge weight",
        "priority",
        "window date",
        "team id",
    ],
)
def test_a_rule_out_of_bounds_is_422_naming_the_part(
    user_client: TestClient, rule_id: int, body: dict[str, Any], field: str
) -> None:
    before = rule_book(user_client)

    assert_error(user_client.post(f"{API}/rules", json=body), 422, "validation_failed", field)
    assert rule_book(user_client) == before


def test_not_a_number_in_a_rule_is_422_not_a_500(user_client: TestClient, rule_id: int) -> None:
    before = rule_book(user_client)
    text = json.dumps(a_rule(strategy="best_match")).replace(
        '"best_match"', '"best_match", "strategy_options": {"weights": {"load": NaN}}'
    )

    response = user_client.post(
        f"{API}/rules", content=text, headers={"Content-Type": "application/json"}
    )

    assert_error(response, 422, "validation_failed", "strategy_options.weights.load")
    assert rule_book(user_client) == before


# --- the rule editor's pages ----------------------------------------------------------------


def editor_form(**fields: Any) -> dict[str, Any]:
    return {"name": "Deep", "priority": "10", "target_kind": "pool", "strategy": "round_robin",
            "fallback": "next_rule", **fields}  # fmt: skip


def test_the_editor_check_refuses_deep_conditions_naming_them(
    user_client: TestClient, rule_id: int
) -> None:
    response = user_client.post("/rules/check", data=editor_form(conditions=deep_text(5_000)))

    assert response.status_code == 200
    assert response.json()["errors"] == [{"field": "conditions", "message": NESTING_MESSAGE}]


def test_the_tester_refuses_deep_conditions_and_a_deep_customer_naming_them(
    user_client: TestClient, rule_id: int
) -> None:
    form = editor_form(conditions=deep_text(5_000), customer_json="[" * 5_000 + "]" * 5_000)

    response = user_client.post("/rules/try", data=form)

    assert response.status_code == 200
    assert f'<code translate="no">conditions</code>: {NESTING_MESSAGE}' in response.text
    assert f'<code translate="no">customer_json</code>: {NESTING_MESSAGE}' in response.text


@pytest.mark.parametrize("path", ["/rules", "/rules/{rule_id}"])
def test_saving_deep_conditions_in_the_editor_is_422_and_saves_nothing(
    user_client: TestClient, rule_id: int, path: str
) -> None:
    before = rule_book(user_client)

    response = user_client.post(
        path.format(rule_id=rule_id), data=editor_form(conditions=deep_text(5_000))
    )

    assert response.status_code == 422
    assert NESTING_MESSAGE in response.text
    assert rule_book(user_client) == before


def test_numbers_too_long_to_read_in_the_editor_are_errors_not_crashes(
    user_client: TestClient, rule_id: int
) -> None:
    huge = "9" * 5_000
    form = editor_form(priority=huge, target_kind="reps", target_rep_ids=[huge, "²", "3"])

    checked = user_client.post("/rules/check", data=form)
    tried = user_client.post("/rules/try", data={**form, "rule_id": huge})
    also = user_client.post("/rules/try", data={**form, "rule_id": str(MAX_ID + 1)})

    assert checked.status_code == 200
    assert {e["field"] for e in checked.json()["errors"]} >= {"priority", "target.rep_ids[0]"}
    assert tried.status_code == 200 and '<code translate="no">priority</code>' in tried.text
    assert also.status_code == 404


# --- leave, dates and tokens ----------------------------------------------------------------


def test_a_leave_ending_in_9999_is_422_naming_it_and_the_reps_page_still_answers(
    user_client: TestClient, seeded: World
) -> None:
    url = f"{API}/reps/{seeded.moses_id}/leaves"
    body = {"starts_at": "2030-01-01T09:00:00+08:00", "ends_at": "9999-12-31T18:00:00+08:00"}

    assert_error(user_client.post(url, json=body), 422, "validation_failed", "ends_at")
    page_form = {"starts_at": "2030-01-01T09:00", "ends_at": "9999-12-31T18:00"}
    assert user_client.post(f"/reps/{seeded.moses_id}/leaves", data=page_form).status_code == 422

    assert user_client.get(url).json() == []
    assert user_client.get(f"{API}/reps/{seeded.moses_id}").status_code == 200
    assert user_client.get(f"/reps/{seeded.moses_id}").status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("created_from=9999-12-31T00:00:00", "created_from"),
        ("created_to=0001-01-01T00:00:00", "created_to"),
        ("created_from=2200-01-01", "created_from"),
    ],
)
def test_customer_list_dates_outside_the_range_are_422_naming_them(
    user_client: TestClient, seeded: World, query: str, field: str
) -> None:
    response = user_client.get(f"{API}/customers?{query}")

    assert_error(response, 422, "validation_failed", field)


def test_a_token_expiring_after_the_range_is_422_and_not_made(
    user_client: TestClient, seeded: World
) -> None:
    before = user_client.get(f"{API}/tokens").json()
    body = {"name": "forever", "scopes": ["leads:write"], "expires_at": "9999-01-01T00:00:00Z"}

    assert_error(
        user_client.post(f"{API}/tokens", json=body), 422, "validation_failed", "expires_at"
    )
    assert user_client.get(f"{API}/tokens").json() == before


# --- lists and numbers in other bodies ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/assignments/bulk",
            {"customer_ids": list(range(1, MAX_BULK_CUSTOMERS + 2)), "rep_ids": [1]},
            "customer_ids",
        ),
        (
            "/assignments/bulk",
            {"customer_ids": [1], "rep_ids": list(range(1, MAX_SPREAD_REPS + 2))},
            "rep_ids",
        ),
        ("/reps", {"name": "Tagged", "tags": ["t"] * (MAX_TAGS + 1)}, "tags"),
        ("/reps", {"name": "Tagged", "tags": ["t" * 101]}, "tags[0]"),
        (
            "/reps",
            {"name": "Skilled", "skills": {"industries": ["x"] * (MAX_SKILLS_PER_KIND + 1)}},
            "skills.industries",
        ),
        ("/reps", {"name": "Busy", "max_open": 10**30}, "max_open"),
        ("/reps", {"name": "Heavy", "weight": 10**30}, "weight"),
        ("/rules/reorder", {"rule_ids": list(range(1, MAX_REORDERED + 2))}, "rule_ids"),
        ("/tokens", {"name": "many", "scopes": ["leads:write"] * 51}, "scopes"),
        (
            "/tasks",
            {"title": "T", "customer_ids": [1] * (MAX_LINKED_CUSTOMERS + 1)},
            "customer_ids",
        ),
        ("/tasks", {"title": "T", "checklist": ["x"] * (MAX_CHECKLIST_ITEMS + 1)}, "checklist"),
        ("/tasks", {"title": "T", "effort_hours": 10**30}, "effort_hours"),
        ("/tasks", {"title": "T", "due_at": "9999-12-31T00:00:00Z"}, "due_at"),
    ],
    ids=[
        "bulk customers",
        "spread reps",
        "rep tags",
        "long tag",
        "rep skills",
        "capacity",
        "weight",
        "reorder",
        "token scopes",
        "task customers",
        "task checklist",
        "task effort",
        "task due date",
    ],
)
def test_an_oversize_list_or_number_is_422_naming_the_field(
    user_client: TestClient, seeded: World, path: str, body: dict[str, Any], field: str
) -> None:
    reps_before = user_client.get(f"{API}/reps").json()

    assert_error(user_client.post(API + path, json=body), 422, "validation_failed", field)
    assert user_client.get(f"{API}/reps").json() == reps_before


# --- OpenAPI documents them -----------------------------------------------------------------


def _property(schemas: dict[str, Any], model: str, name: str) -> dict[str, Any]:
    """A model's property, looking through ``anyOf`` (optional fields)."""
    found: dict[str, Any] = schemas[model]["properties"][name]
    for option in found.get("anyOf", []):
        if option.get("type") == "array" or "$ref" in option:
            return {**option, "description": found.get("description", "")}
    return found


def test_openapi_documents_every_bound(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]

    bounds = {
        ("RuleTarget", "rep_ids"): MAX_TARGET_REPS,
        ("RuleCreate", "required_skills"): MAX_REQUIRED_SKILLS,
        ("RuleReorder", "rule_ids"): MAX_REORDERED,
        ("BulkAssignmentCreate", "customer_ids"): MAX_BULK_CUSTOMERS,
        ("BulkAssignmentCreate", "rep_ids"): MAX_SPREAD_REPS,
        ("RepCreate", "tags"): MAX_TAGS,
        ("TokenCreate", "scopes"): 50,
        ("TaskCreate", "customer_ids"): MAX_LINKED_CUSTOMERS,
        ("TaskCreate", "checklist"): MAX_CHECKLIST_ITEMS,
    }
    for (model, name), most in bounds.items():
        documented = _property(schemas, model, name)
        assert documented.get("maxItems") == most, (model, name)
        assert str(most) in documented["description"].replace(",", ""), (model, name)
    conditions = schemas["RuleCreate"]["properties"]["conditions"]["description"]
    assert f"{MAX_NESTING} levels" in conditions and str(MAX_CONDITION_VALUES) in conditions
    for model, name in [("LeaveCreate", "ends_at"), ("TokenCreate", "expires_at")]:
        assert "2199-12-31" in json.dumps(schemas[model]["properties"][name]), (model, name)
