"""Customer writes and manual assignments over HTTP: who may, capacity, idempotent retries."""

from __future__ import annotations

import threading
from typing import Any

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import org
from tests.e2e.conftest import World, log_in, racing_clients
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_rules import API, client_as, create, customer_count, east_rule
from tests.e2e.test_api_rules import default_rule as default_rule  # a fixture, shared


def set_max_open(app: Fenpei, rep_id: int, max_open: int) -> None:
    with app.uow() as uow:
        org.update_rep(
            uow=uow, rep_id=rep_id, fields={"max_open": max_open}, actor=SYSTEM, now=app.now()
        )
        uow.commit()


def history(client: TestClient, customer_id: int) -> list[dict[str, Any]]:
    response = client.get(f"{API}/customers/{customer_id}/history")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_created_customer_is_routed_by_the_matching_rule(
    user_client: TestClient, seeded: World, default_rule: int
) -> None:
    rule = create(user_client, east_rule(seeded))

    response = user_client.post(f"{API}/customers", json={"name": "Li Lei", "region": "East"})

    assert response.status_code == 201, response.text
    customer, decision = response.json()["customer"], response.json()["decision"]
    assert decision["outcome"] == "assigned" and decision["rule_id"] == rule["id"]
    assert customer["owner_id"] == decision["rep_id"] and customer["owner_name"]
    assert [h["rule_id"] for h in history(user_client, customer["id"])] == [rule["id"]]


def test_created_customer_with_route_false_stays_unowned(
    user_client: TestClient, seeded: World, default_rule: int
) -> None:
    create(user_client, east_rule(seeded))

    response = user_client.post(f"{API}/customers?route=false", json={"name": "Later"})

    assert response.status_code == 201, response.text
    assert response.json()["decision"] is None
    assert response.json()["customer"]["owner_id"] is None


def test_bad_customer_field_is_named_and_nothing_is_written(
    user_client: TestClient, app: Fenpei, seeded: World
) -> None:
    before = customer_count(app)

    response = user_client.post(f"{API}/customers", json={"name": "X", "employees": "many"})

    assert_error(response, 422, "validation_failed", field="employees")
    assert customer_count(app) == before


def test_patch_changes_fields_but_not_the_owner(user_client: TestClient, seeded: World) -> None:
    url = f"{API}/customers/{seeded.acme_id}"

    changed = user_client.patch(url, json={"level": "B", "stage": "contacted"})
    refused = user_client.patch(url, json={"owner_id": seeded.moses_id})

    assert changed.status_code == 200, changed.text
    assert changed.json()["level"] == "B" and changed.json()["stage"] == "contacted"
    assert_error(refused, 422, "validation_failed", field="owner_id")
    assert user_client.get(url).json()["owner_id"] == seeded.darcel_id


def test_delete_answers_204_then_the_customer_is_gone(
    user_client: TestClient, seeded: World
) -> None:
    url = f"{API}/customers/{seeded.globex_id}"

    deleted = user_client.delete(url)

    assert deleted.status_code == 204 and deleted.content == b""
    assert_error(user_client.get(url), 404, "not_found")
    assert_error(user_client.delete(url), 404, "not_found")


def test_rep_may_not_write_customers_or_assign(app: Fenpei, seeded: World) -> None:
    with client_as(app, Role.rep) as rep:
        created = rep.post(f"{API}/customers", json={"name": "Nope"})
        deleted = rep.delete(f"{API}/customers/{seeded.globex_id}")
        assigned = rep.post(
            f"{API}/assignments", json={"customer_id": seeded.globex_id, "rep_id": seeded.moses_id}
        )

    for response in (created, deleted, assigned):
        assert_error(response, 403, "permission_denied")


def manage(app: Fenpei, username: str, team_id: int) -> None:
    """Make ``username`` the manager of the team (their data scope)."""
    with app.uow() as uow:
        team, user = uow.teams.get(team_id), uow.users.by_username(username)
        assert team is not None and user is not None
        team.manager_user_id = user.id
        uow.commit()


def test_manager_may_create_and_assign_within_their_team(app: Fenpei, seeded: World) -> None:
    with client_as(app, Role.manager) as manager:
        manage(app, "user-manager", seeded.team_id)
        created = manager.post(f"{API}/customers?route=false", json={"name": "By a manager"})
        assigned = manager.post(
            f"{API}/assignments",
            json={"customer_id": created.json()["customer"]["id"], "rep_id": seeded.moses_id},
        )

    assert created.status_code == 201, created.text
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["method"] == "manual" and assigned.json()["to_rep_name"] == "Moses Frase"


def test_assign_over_capacity_is_refused_with_the_reason(
    user_client: TestClient, app: Fenpei, seeded: World
) -> None:
    set_max_open(app, seeded.darcel_id, 1)  # Darcel already owns Acme

    response = user_client.post(
        f"{API}/assignments", json={"customer_id": seeded.globex_id, "rep_id": seeded.darcel_id}
    )

    assert_error(response, 409, "capacity_exceeded")
    assert "Darcel Schlecht" in response.json()["message"]
    assert history(user_client, seeded.globex_id) == []


def test_admin_override_above_capacity_is_recorded(
    user_client: TestClient, app: Fenpei, seeded: World
) -> None:
    set_max_open(app, seeded.darcel_id, 1)

    response = user_client.post(
        f"{API}/assignments",
        json={
            "customer_id": seeded.globex_id,
            "rep_id": seeded.darcel_id,
            "override_capacity": True,
        },
    )

    assert response.status_code == 201, response.text
    assert response.json()["capacity_override"] is True
    assert response.json()["explanation"]["override"]["breach"]
    assert [h["capacity_override"] for h in history(user_client, seeded.globex_id)] == [True]


def test_manager_may_not_override_capacity(app: Fenpei, seeded: World) -> None:
    set_max_open(app, seeded.darcel_id, 1)
    body = {"customer_id": seeded.globex_id, "rep_id": seeded.darcel_id, "override_capacity": True}

    with client_as(app, Role.manager) as manager:
        response = manager.post(f"{API}/assignments", json=body)

    assert_error(response, 403, "permission_denied")


def test_transfer_without_reason_is_refused(user_client: TestClient, seeded: World) -> None:
    response = user_client.post(
        f"{API}/assignments", json={"customer_id": seeded.acme_id, "rep_id": seeded.moses_id}
    )

    assert_error(response, 422, "validation_failed", field="reason")


def test_bad_assignment_body_is_named(user_client: TestClient, seeded: World) -> None:
    response = user_client.post(f"{API}/assignments", json={"customer_id": 0, "rep_id": "x"})

    assert_error(response, 422, "validation_failed")
    assert {e["field"] for e in response.json()["errors"]} == {"customer_id", "rep_id"}


def test_retry_with_the_same_idempotency_key_returns_the_first_assignment(
    user_client: TestClient, seeded: World
) -> None:
    body = {"customer_id": seeded.globex_id, "rep_id": seeded.moses_id}
    headers = {"Idempotency-Key": "order-42"}

    first = user_client.post(f"{API}/assignments", json=body, headers=headers)
    again = user_client.post(f"{API}/assignments", json=body, headers=headers)
    other = user_client.post(
        f"{API}/assignments",
        json={"customer_id": seeded.script_id, "rep_id": seeded.moses_id},
        headers=headers,
    )

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert len(history(user_client, seeded.globex_id)) == 1
    assert_error(other, 409, "conflict")
    assert history(user_client, seeded.script_id) == []


def test_concurrent_requests_with_one_idempotency_key_make_one_assignment(
    app: Fenpei, seeded: World
) -> None:
    body = {"customer_id": seeded.globex_id, "rep_id": seeded.moses_id}
    headers = {"Idempotency-Key": "twice-at-once"}
    clients = racing_clients(app, 2, f"{API}/assignments")
    for one in clients:
        log_in(one)
    start = threading.Barrier(2)
    answers: list[tuple[int, dict[str, Any]]] = []

    def post(one: TestClient) -> None:
        start.wait()
        response = one.post(f"{API}/assignments", json=body, headers=headers)
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=post, args=(one,)) for one in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    recorded = history(clients[0], seeded.globex_id)
    for one in clients:
        one.close()

    assert sorted(status for status, _ in answers) == [200, 201], answers
    assert answers[0][1]["id"] == answers[1][1]["id"]
    assert len(recorded) == 1


def test_bulk_spreads_customers_evenly_over_the_reps(
    user_client: TestClient, seeded: World
) -> None:
    made = [
        user_client.post(f"{API}/customers?route=false", json={"name": f"Bulk {n}"}).json()
        for n in range(4)
    ]
    ids = [m["customer"]["id"] for m in made]

    response = user_client.post(
        f"{API}/assignments/bulk",
        json={"customer_ids": ids, "rep_ids": [seeded.moses_id, seeded.darcel_id]},
    )

    assert response.status_code == 201, response.text
    records = response.json()
    assert sorted(r["customer_id"] for r in records) == sorted(ids)
    assert {r["method"] for r in records} == {"bulk"}
    given = [r["to_rep_id"] for r in records]
    assert given.count(seeded.moses_id) == given.count(seeded.darcel_id) == 2


def test_bulk_with_an_unknown_customer_assigns_nothing(
    user_client: TestClient, seeded: World
) -> None:
    response = user_client.post(
        f"{API}/assignments/bulk",
        json={"customer_ids": [seeded.globex_id, 999_999], "rep_ids": [seeded.moses_id]},
    )

    assert_error(response, 404, "not_found")
    assert history(user_client, seeded.globex_id) == []
