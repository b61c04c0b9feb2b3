"""Task rules on the rule pages: made in the editor (subject chosen on the new-rule link),
listed apart from the customer rules, tried with a task typed into the tester (the
explanation names the task field that failed), in zh-CN."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.services import rules
from tests.e2e.conftest import World
from tests.e2e.test_web import text_of
from tests.fakes import FixedClock

URGENT = {"field": "task.priority", "op": "eq", "value": "urgent"}


@pytest.fixture
def task_rule(app: Fenpei, clock: FixedClock, seeded: World) -> int:
    with app.uow() as uow:
        rules.ensure_default_rule(uow=uow, actor=SYSTEM, now=clock.at)
        made = rules.create_rule(
            uow=uow,
            fields={"name": "紧急任务", "subject": "task", "priority": 10, "conditions": URGENT,
                    "target": {"kind": "reps", "rep_ids": [seeded.moses_id]}},
            actor=SYSTEM, now=clock.at,
        )  # fmt: skip
        uow.commit()
    assert made.id is not None
    return made.id


def test_task_rules_are_listed_apart_from_customer_rules(
    user_client: TestClient, task_rule: int
) -> None:
    tasks = user_client.get("/rules?subject=task&lang=zh-CN")
    customers = user_client.get("/rules?lang=zh-CN")

    assert tasks.status_code == 200 and customers.status_code == 200
    assert "紧急任务" in text_of(tasks.text)
    assert "任务优先级" in text_of(tasks.text)  # the condition in words, the field named
    assert "紧急任务" not in text_of(customers.text)
    assert 'href="/rules/new?subject=task"' in tasks.text


def test_a_task_rule_is_made_in_the_editor_with_task_fields(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    editor = user_client.get("/rules/new?subject=task&lang=zh-CN")
    assert editor.status_code == 200
    assert 'name="subject" value="task"' in editor.text
    assert '"task.priority"' in editor.text  # the field picker offers task fields
    assert 'value="customer_owner"' in editor.text
    customer_editor = user_client.get("/rules/new")
    assert 'value="customer_owner"' not in customer_editor.text

    response = user_client.post(
        "/rules",
        data={"name": "交给客户负责人", "subject": "task", "priority": "100",
              "target_kind": "customer_owner", "strategy": "round_robin",
              "fallback": "next_rule", "enabled": "on", "conditions": json.dumps(URGENT)},
        follow_redirects=False,
    )  # fmt: skip

    assert response.status_code == 303, response.text
    with app.uow() as uow:
        made = [r for r in uow.rules.active() if r.name == "交给客户负责人"]
        assert [(r.subject, r.target["kind"]) for r in made] == [("task", "customer_owner")]


def test_the_tester_routes_a_typed_task_and_names_the_task_field(
    user_client: TestClient, seeded: World, task_rule: int
) -> None:
    def tried(priority: str) -> str:
        response = user_client.post(
            "/rules/try?lang=zh-CN",
            data={"rule_id": str(task_rule), "task_priority": priority,
                  "task_customer_id": str(seeded.acme_id)},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        return text_of(response.text)

    urgent, calm = tried("urgent"), tried("low")

    assert "Moses Frase" in urgent
    assert "task.priority = urgent（实际为 'low'）" in calm  # the failed task field, named
    assert "没有任务规则分配此任务" in calm
    assert "Darcel Schlecht" in calm  # no task rule placed it: Acme's owner


def test_the_tester_names_a_bad_task_field(user_client: TestClient, task_rule: int) -> None:
    response = user_client.post(
        "/rules/try", data={"rule_id": str(task_rule), "task_priority": "someday"}
    )

    assert response.status_code == 200
    assert "task.priority" in response.text


def test_a_reps_task_capacity_is_set_on_their_page_and_through_the_api(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    page = user_client.get(f"/reps/{seeded.moses_id}?lang=zh-CN")
    assert "任务容量（小时）" in page.text
    form = {k: v for k, v in _rep_form(page.text).items() if k != "task_capacity"}

    saved = user_client.post(
        f"/reps/{seeded.moses_id}", data={**form, "task_capacity": "7.5"}, follow_redirects=False
    )
    refused = user_client.post(f"/reps/{seeded.moses_id}?lang=zh-CN",
                               data={**form, "task_capacity": "lots"})  # fmt: skip
    api = user_client.patch(f"/api/v1/reps/{seeded.darcel_id}", json={"task_capacity": 2.5})
    api_refused = user_client.patch(f"/api/v1/reps/{seeded.darcel_id}", json={"task_capacity": -1})

    assert saved.status_code == 303, saved.text
    assert refused.status_code == 422 and "请输入 0 到 10000 之间的小时数" in refused.text
    assert api.status_code == 200 and api.json()["task_capacity"] == 2.5
    assert api_refused.status_code == 422 and "task_capacity" in api_refused.text
    with app.uow() as uow:
        moses, darcel = uow.reps.get(seeded.moses_id), uow.reps.get(seeded.darcel_id)
        assert moses is not None and darcel is not None
        assert (str(moses.task_capacity), str(darcel.task_capacity)) == ("7.50", "2.50")


def _rep_form(html: str) -> dict[str, str]:
    """The values the rep page's inputs hold (text inputs; checkboxes that are checked)."""
    import re

    values = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or 'type="submit"' in tag:
            continue
        if 'type="checkbox"' in tag and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        values[name.group(1)] = value.group(1) if value else "on"
    return values
