"""Task rules over HTTP: created with ``subject: task``, listed apart (``?subject=``),
tried with ``/rules/preview-task`` (the explanation names task fields); bad input is 422
naming the field, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.services import rules
from tests.e2e.conftest import World
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_rules import API, create

URGENT = {"field": "task.priority", "op": "eq", "value": "urgent"}


@pytest.fixture
def default_rule(app: Fenpei, seeded: World) -> int:
    with app.uow() as uow:
        rule = rules.ensure_default_rule(uow=uow, actor=SYSTEM, now=app.now())
        uow.commit()
    assert rule.id is not None
    return rule.id


def task_rule(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "name": "Urgent tasks → Moses",
        "subject": "task",
        "conditions": URGENT,
        "target": {"kind": "reps", "rep_ids": [world.moses_id]},
        **fields,
    }


def test_a_task_rule_is_created_listed_apart_and_tried(
    user_client: TestClient, seeded: World, default_rule: int
) -> None:
    made = create(user_client, task_rule(seeded))
    fallback = {"conditions": {}, "target": {"kind": "customer_owner"}}
    owner = create(user_client, task_rule(seeded, name="Else the owner", priority=200, **fallback))

    tasks = user_client.get(f"{API}/rules", params={"subject": "task"}).json()
    customers = user_client.get(f"{API}/rules", params={"subject": "customer"}).json()
    everything = user_client.get(f"{API}/rules").json()

    assert made["subject"] == "task"
    assert made["conditions_text"] == "task.priority = urgent"
    assert [r["id"] for r in tasks] == [made["id"], owner["id"]]
    assert [r["id"] for r in customers] == [default_rule]
    assert {r["id"] for r in everything} == {made["id"], owner["id"], default_rule}

    urgent = user_client.post(f"{API}/rules/preview-task", json={"priority": "urgent"})
    calm = user_client.post(
        f"{API}/rules/preview-task", json={"priority": "low", "customer_id": seeded.acme_id}
    )

    assert urgent.status_code == 200, urgent.text
    assert urgent.json()["rep_id"] == seeded.moses_id
    assert calm.status_code == 200, calm.text
    body = calm.json()
    assert body["rep_id"] == seeded.darcel_id  # Acme's owner
    assert body["rule_name"] == "Else the owner"
    assert "task.priority = 'urgent' (was 'low')" in body["text"]


def test_task_rule_input_is_checked_by_field_and_nothing_is_stored(
    app: Fenpei, user_client: TestClient, seeded: World, default_rule: int
) -> None:
    before = user_client.get(f"{API}/rules").json()

    assert_error(user_client.post(f"{API}/rules", json=task_rule(seeded, subject="lead")),
                 422, "validation_failed", "subject")  # fmt: skip
    assert_error(
        user_client.post(f"{API}/rules", json={**task_rule(seeded), "subject": "customer"}),
        422, "validation_failed", "conditions.field",
    )  # fmt: skip
    customer_owner = {"name": "Owner", "target": {"kind": "customer_owner"}}
    assert_error(user_client.post(f"{API}/rules", json=customer_owner),
                 422, "validation_failed", "target.kind")  # fmt: skip
    assert_error(user_client.get(f"{API}/rules", params={"subject": "lead"}), 422,
                 "validation_failed")  # fmt: skip
    assert_error(user_client.post(f"{API}/rules/preview-task", json={"priority": "someday"}),
                 422, "validation_failed", "task.priority")  # fmt: skip
    assert_error(user_client.post(f"{API}/rules/preview-task", json={"customer_id": 99999}),
                 422, "validation_failed", "task.customer_id")  # fmt: skip
    made = create(user_client, task_rule(seeded))
    assert_error(user_client.patch(f"{API}/rules/{made['id']}", json={"subject": "customer"}),
                 422, "validation_failed")  # fmt: skip

    after = user_client.get(f"{API}/rules").json()
    assert [r["id"] for r in after] == [made["id"]] + [r["id"] for r in before]
