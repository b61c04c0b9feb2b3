"""Idempotency-Key on the POSTs that create customers and leads: a retry, also one racing
the first request, gets the first answer and creates nothing more."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from tests.e2e.conftest import World, log_in, racing_clients
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_rules import API, customer_count
from tests.e2e.test_api_rules import default_rule as default_rule  # a fixture, shared

CREATING = [
    (f"{API}/customers", {"name": "Retried Co", "region": "East"}),
    (f"{API}/leads", {"name": "Retried lead", "region": "East"}),
]


@pytest.mark.parametrize(("path", "body"), CREATING, ids=["customers", "leads"])
def test_the_same_post_twice_creates_one_customer_and_answers_alike(
    app: Fenpei, user_client: TestClient, default_rule: int, path: str, body: dict[str, Any]
) -> None:
    headers = {"Idempotency-Key": "order-42"}
    before = customer_count(app)

    first = user_client.post(path, json=body, headers=headers)
    again = user_client.post(path, json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert customer_count(app) == before + 1


@pytest.mark.parametrize(("path", "body"), CREATING, ids=["customers", "leads"])
def test_the_same_key_for_another_body_is_a_conflict_and_writes_nothing(
    app: Fenpei, user_client: TestClient, default_rule: int, path: str, body: dict[str, Any]
) -> None:
    headers = {"Idempotency-Key": "order-43"}
    assert user_client.post(path, json=body, headers=headers).status_code == 201
    before = customer_count(app)

    other = user_client.post(path, json={**body, "name": "Someone else"}, headers=headers)

    assert_error(other, 409, "conflict")
    assert "order-43" in other.json()["message"]
    assert customer_count(app) == before


def test_a_key_used_for_a_customer_is_not_replayed_for_a_lead(
    app: Fenpei, user_client: TestClient, default_rule: int
) -> None:
    headers = {"Idempotency-Key": "shared"}
    body = {"name": "Same body"}
    assert user_client.post(f"{API}/customers", json=body, headers=headers).status_code == 201

    assert_error(user_client.post(f"{API}/leads", json=body, headers=headers), 409, "conflict")


def test_a_bad_request_leaves_the_key_unused(
    app: Fenpei, user_client: TestClient, default_rule: int
) -> None:
    headers = {"Idempotency-Key": "fix-and-retry"}
    bad = user_client.post(f"{API}/leads", json={"name": "X", "email": "nope"}, headers=headers)
    good = user_client.post(f"{API}/leads", json={"name": "X"}, headers=headers)

    assert_error(bad, 422, "validation_failed", "email")
    assert good.status_code == 201, good.text


@pytest.mark.parametrize(("path", "body"), CREATING, ids=["customers", "leads"])
def test_concurrent_duplicates_create_one_customer(
    app: Fenpei, seeded: World, default_rule: int, path: str, body: dict[str, Any]
) -> None:
    racers = 6
    clients = racing_clients(app, racers, path)
    for one in clients:
        log_in(one)
    before = customer_count(app)
    start = threading.Barrier(racers)
    answers: list[tuple[int, dict[str, Any]]] = []

    def post(one: TestClient) -> None:
        start.wait()
        response = one.post(path, json=body, headers={"Idempotency-Key": "at-once"})
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=post, args=(one,)) for one in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for one in clients:
        one.close()

    assert sorted(status for status, _ in answers) == [200] * (racers - 1) + [201], answers
    assert len({answer["customer"]["id"] for _, answer in answers}) == 1
    assert customer_count(app) == before + 1
