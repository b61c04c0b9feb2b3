"""The holdout and re-routing through the doors: a rule with a holdout and a trigger saved
by the API (bad ones named by key), customers routed and closed, the report as JSON and as
a page a sales manager reads in zh-CN and en; a rep may not see it; an edit that fires a
trigger re-routes the customer."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import users
from tests.e2e.conftest import World, log_in

API = "/api/v1"
PASSWORD = "a long enough passphrase 1"


def _rule(client: TestClient, seeded: World, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "East smart 华东智能",
        "priority": 10,
        "conditions": {"field": "region", "op": "eq", "value": "East"},
        "target": {"kind": "team", "team_id": seeded.team_id},
        "strategy": "least_loaded",
        **fields,
    }
    response = client.post(f"{API}/rules", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _routed(client: TestClient, count: int) -> list[dict[str, Any]]:
    made = []
    for i in range(count):
        response = client.post(
            f"{API}/customers",
            json={"name": f"Lead {i}", "region": "East", "expected_value": "500"},
        )
        assert response.status_code == 201, response.text
        made.append(response.json()["customer"])
    return made


def test_a_bad_holdout_is_refused_naming_its_key(user_client: TestClient, seeded: World) -> None:
    body = {
        "name": "Bad",
        "target": {"kind": "team", "team_id": seeded.team_id},
        "strategy": "least_loaded",
        "holdout": {"share": 0.9, "strategy": "least_loaded"},
        "reroute": {"when": {"field": "level", "op": "eq", "value": "A"}, "min_days": -2},
    }

    response = user_client.post(f"{API}/rules", json=body)

    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"holdout.share", "holdout.strategy", "reroute.min_days"} <= fields


def test_the_report_counts_each_arm_and_reads_in_both_languages(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    rule = _rule(user_client, seeded, holdout={"share": 0.5, "strategy": "round_robin"})
    assert rule["holdout"] == {"share": 0.5, "strategy": "round_robin"}
    made = _routed(user_client, 12)
    arms: dict[str, list[int]] = {"smart": [], "holdout": []}
    for customer in made:
        history = user_client.get(f"{API}/customers/{customer['id']}/history").json()
        arms[history[-1]["arm"]].append(customer["id"])
    assert arms["smart"] and arms["holdout"]
    for arm, ids in arms.items():
        won = user_client.post(f"{API}/customers/{ids[0]}/stage", json={"stage": "won"})
        assert won.status_code == 200, won.text
        if arm == "smart" and len(ids) > 1:
            lost = {"stage": "lost", "reason": "budget 预算不足"}
            assert user_client.post(f"{API}/customers/{ids[1]}/stage", json=lost).status_code == 200

    report = user_client.get(f"{API}/reports/holdout").json()

    (experiment,) = report["experiments"]
    assert experiment["rule_id"] == rule["id"] and experiment["baseline"] == "round_robin"
    assert experiment["smart"]["customers"] == len(arms["smart"])
    assert experiment["holdout"]["customers"] == len(arms["holdout"])
    assert experiment["holdout"]["won"] == 1 and experiment["holdout"]["conversion"] == 1.0
    assert float(experiment["holdout"]["won_value"]) == 500
    assert experiment["difference"]["estimate"] < 0 and report["method"].startswith("newcombe")

    zh = user_client.get("/reports/holdout?lang=zh-CN&period=all").text
    assert "对照组报告" in zh and "智能分配" in zh and "95% 置信区间" in zh
    assert "East smart 华东智能" in zh
    en = user_client.get("/reports/holdout?lang=en").text
    assert "Holdout report" in en and "Smart routing" in en and "confidence interval" in en


def test_a_rep_sees_neither_the_page_nor_the_api(
    app: Fenpei, client: TestClient, seeded: World
) -> None:
    with app.uow() as uow:
        users.create_user(
            uow=uow, hasher=app.hasher, username="darcel", password=PASSWORD, role=Role.rep,
            rep_id=seeded.darcel_id, actor=SYSTEM, now=app.now(),
        )  # fmt: skip
        uow.commit()
    log_in(client, PASSWORD, username="darcel")

    assert client.get(f"{API}/reports/holdout").status_code == 403
    assert client.get("/reports/holdout").status_code == 403


def test_an_edit_that_fires_a_trigger_reroutes_the_customer(
    user_client: TestClient, seeded: World
) -> None:
    rule = _rule(
        user_client,
        seeded,
        conditions={"field": "region", "op": "eq", "value": "East"},
        target={"kind": "reps", "rep_ids": [seeded.darcel_id]},
        strategy="round_robin",
        reroute={"when": {"field": "level", "op": "eq", "value": "A"}, "min_days": 7},
    )
    customer_id = seeded.acme_id  # East, level A, owned by Darcel: make it B, give it to Moses
    assert user_client.patch(f"{API}/customers/{customer_id}", json={"level": "B"}).is_success
    moved = user_client.post(
        f"{API}/assignments",
        json={"customer_id": customer_id, "rep_id": seeded.moses_id, "reason": "cover 代班"},
    )
    assert moved.status_code in (200, 201), moved.text

    response = user_client.patch(f"{API}/customers/{customer_id}", json={"level": "A"})

    assert response.status_code == 200, response.text
    assert response.json()["owner_id"] == seeded.darcel_id
    history = user_client.get(f"{API}/customers/{customer_id}/history").json()
    (rerouted,) = [h for h in history if h["method"] == "reroute"]  # the clock stands still
    assert (rerouted["rule_id"], rerouted["from_rep_id"]) == (rule["id"], seeded.moses_id)
    assert rerouted["explanation"]["reroute"]["after"] == {"level": "A"}
    page = user_client.get(f"/customers/{customer_id}?lang=zh-CN").text
    assert "动态分配：规则“East smart 华东智能”的触发条件" in page


def _editor_form(seeded: World, **fields: str) -> dict[str, Any]:
    return {"name": "Form rule 表单规则", "priority": "10", "target_kind": "team",
            "target_team_id": str(seeded.team_id), "strategy": "least_loaded",
            "fallback": "next_rule", **fields}  # fmt: skip


def test_the_rule_editor_saves_a_holdout_and_a_trigger_and_shows_them_again(
    user_client: TestClient, seeded: World
) -> None:
    form = _editor_form(
        seeded, holdout_share="20", holdout_strategy="round_robin",
        reroute_when='{"field": "level", "op": "eq", "value": "A"}', reroute_min_days="3",
    )  # fmt: skip

    response = user_client.post("/rules", data=form)

    assert response.status_code == 303, response.text
    saved = next(r for r in user_client.get(f"{API}/rules").json() if r["name"] == form["name"])
    assert saved["holdout"] == {"share": 0.2, "strategy": "round_robin", "options": {}}
    assert saved["reroute"] == {"when": {"field": "level", "op": "eq", "value": "A"}, "min_days": 3}
    page = user_client.get(f"/rules/{saved['id']}?lang=zh-CN").text
    assert 'name="holdout_share" value="20"' in page and "对照组比例" in page
    assert "动态分配" in page and 'name="reroute_min_days" value="3"' in page
    versions = user_client.get(f"/rules/{saved['id']}/versions?lang=zh-CN").text
    assert "对照组 20%：轮流分配" in versions and "动态分配（间隔至少 3 天）" in versions


def test_the_rule_editor_names_a_bad_holdout_in_the_pages_words(
    user_client: TestClient, seeded: World
) -> None:
    form = _editor_form(seeded, holdout_share="80", holdout_strategy="least_loaded")

    checked = user_client.post("/rules/check?lang=zh-CN", data=form).json()
    saved = user_client.post("/rules?lang=zh-CN", data=form)

    assert {e["field"] for e in checked["errors"]} == {"holdout.share", "holdout.strategy"}
    assert saved.status_code == 422
    assert "须为大于 0 且不超过 0.5 的数" in saved.text and "须与规则自己的策略" in saved.text
