"""Scoring over HTTP: the API (versions, activation, scorecard, grades, why; admin-only
writes, bad input named and nothing changed) and the pages (评分 in zh-CN and en, the
scorecard editor, the customer page and list showing grade, points, probability and why)."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.scoring import ModelKind
from fenpei.domain.users import SYSTEM, Role
from fenpei.services.scoring import models
from fenpei.services.scoring.rescore import rescore_stale
from tests.e2e.conftest import World, page_csrf_token
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_org import API, client_for, ok

RETAIL = {"field": "industry", "op": "in", "value": ["retail", "Retail", "零售"]}
CARD = {
    "name": "线索打分", "base": 10, "activate": True,
    "lines": [{"label": "零售客户", "points": 45, "conditions": RETAIL},
              {"label": "赢单", "points": 30,
               "conditions": {"field": "stage", "op": "eq", "value": "won"}}],
}  # fmt: skip


def _prior(app: Fenpei, p: float, metrics: dict[str, Any] | None = None) -> int:
    with app.uow() as uow:
        model = models.add_version(
            uow=uow, actor=SYSTEM, kind=ModelKind.score, name="先验", now=app.now(),
            params={"algorithm": "prior", "p": p}, metrics=metrics or {},
        )  # fmt: skip
        uow.commit()
        return model.id or 0


def test_the_api_saves_activates_and_explains_a_scorecard(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    saved = ok(user_client.post(f"{API}/scoring/scorecards", json=CARD), 201)
    again = ok(user_client.post(f"{API}/scoring/scorecards", json=CARD), 201)
    assert (saved["added"], saved["model"]["version"], saved["model"]["active"]) == (1, 1, True)
    assert (again["added"], again["model"]["version"]) == (False, 1)
    learned = _prior(app, 0.35, {"auc": 0.71, "brier": 0.2, "baselines": {"nb": {"auc": 0.66}}})
    ok(user_client.post(f"{API}/scoring/models/{learned}/activate"))
    rescore_stale(uow_factory=app.uow, now=app.now)

    listed = ok(user_client.get(f"{API}/scoring/models", params={"kind": "score"}))
    detail = ok(user_client.get(f"{API}/scoring/models/{learned}"))
    customer = ok(user_client.get(f"{API}/customers/{seeded.globex_id}"))
    why = ok(user_client.get(f"{API}/scoring/customers/{seeded.globex_id}"))

    assert [(m["version"], m["active"], m["summary"]["auc"]) for m in listed] == [(1, True, 0.71)]
    assert detail["params"] == {"algorithm": "prior", "p": 0.35}
    assert detail["summary"]["baselines"] == {"nb": {"auc": 0.66}}
    assert (customer["win_probability"], customer["scored_at"] is not None) == (0.35, True)
    assert customer["score"] == why["score"] and why["scorecard_version"] == 1
    assert [f["feature"] for f in why["factors"]] == ["prior"]


def test_grade_settings_are_read_and_written_and_bad_ones_change_nothing(
    user_client: TestClient, seeded: World
) -> None:
    body = {"grade_basis": "win_probability", "thresholds": {"A": 60, "B": 40, "C": 20}}
    saved = ok(user_client.put(f"{API}/scoring/settings", json=body))
    assert saved["thresholds"] == {"A": 60, "B": 40, "C": 20} and saved["updated_by"]

    for bad, field in (
        ({"grade_basis": "win_probability", "thresholds": {"A": 10, "B": 40}}, "thresholds.B"),
        ({"grade_basis": "mood", "thresholds": {}}, "grade_basis"),
        ({"grade_basis": "score", "thresholds": {"E": 1}}, "thresholds.E"),
        ({"grade_basis": "score", "thresholds": {"A": "high"}}, "thresholds.A"),
    ):
        response = user_client.put(f"{API}/scoring/settings", json=bad)
        assert_error(response, 422, "validation_failed")
        assert any(field in e["field"] for e in response.json()["errors"]), response.json()
    assert ok(user_client.get(f"{API}/scoring/settings"))["thresholds"]["B"] == 40


def test_bad_scorecards_are_refused_naming_the_line_and_nothing_is_saved(
    user_client: TestClient, seeded: World
) -> None:
    lines = [CARD["lines"][0], {"points": 5, "conditions": {"all": [
        {"field": "region", "op": "between", "value": [1]}]}}]  # fmt: skip
    for body, field in (
        ({**CARD, "lines": lines}, "lines[1].conditions.all[0]"),
        ({**CARD, "lines": [{"points": 1, "conditions": {"field": "grade", "op": "eq",
                                                        "value": "A"}}]}, "lines[0].conditions"),
        ({**CARD, "lines": [{"points": 1e9, "conditions": {}}]}, "points"),
        ({**CARD, "colour": "red"}, "colour"),
    ):  # fmt: skip
        response = user_client.post(f"{API}/scoring/scorecards", json=body)
        assert_error(response, 422, "validation_failed")
        assert any(e["field"].startswith(field) or field in e["field"]
                   for e in response.json()["errors"]), response.json()  # fmt: skip
    assert ok(user_client.get(f"{API}/scoring/models")) == []
    assert_error(user_client.post(f"{API}/scoring/models/99/activate"), 404, "not_found")


def test_only_admins_change_scoring_and_reps_read_none_of_it(app: Fenpei, seeded: World) -> None:
    manager = client_for(app, "mia", Role.manager)
    rep = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)

    assert manager.get(f"{API}/scoring/models").status_code == 200
    assert manager.post(f"{API}/scoring/scorecards", json=CARD).status_code == 403
    grades = {"grade_basis": "score", "thresholds": {}}
    assert manager.put(f"{API}/scoring/settings", json=grades).status_code == 403
    assert rep.get(f"{API}/scoring/models").status_code == 403
    assert rep.get("/admin/scoring").status_code == 403


def test_the_scoring_page_in_chinese_lists_versions_activates_and_saves_grades(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    learned = _prior(app, 0.2, {"auc": 0.74, "brier": 0.18, "baselines": {"naive_bayes": {
        "auc": 0.69, "brier": 0.2}}})  # fmt: skip
    user_client.cookies.set("lang", "zh-CN")
    page = user_client.get("/admin/scoring")
    assert page.status_code == 200
    assert "评分模型与等级" in page.text and "成交概率模型" in page.text
    assert (
        "0.74" in page.text and "naive_bayes" in page.text and "/admin/scoring/train" in page.text
    )
    token = page_csrf_token(user_client, "/admin/scoring")

    activated = user_client.post(f"/admin/scoring/models/{learned}/activate",
                                 data={"csrf_token": token})  # fmt: skip
    bad = user_client.post("/admin/scoring/settings", data={
        "grade_basis": "score", "A": "50", "B": "70", "C": "", "csrf_token": token})  # fmt: skip
    good = user_client.post("/admin/scoring/settings", data={
        "grade_basis": "win_probability", "A": "30", "B": "15", "C": "5",
        "csrf_token": token})  # fmt: skip

    assert activated.status_code == 303
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    assert good.status_code == 303
    shown = user_client.get(good.headers["location"]).text
    assert "等级设置已保存" in shown and 'value="30"' in shown and "使用中" in shown


def test_the_scorecard_editor_adds_changes_and_removes_lines_as_versions(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    user_client.cookies.set("lang", "zh-CN")
    page = user_client.get("/admin/scoring/scorecard")
    assert page.status_code == 200 and "还没有规则" in page.text and "builder-config" in page.text
    token = page_csrf_token(user_client, "/admin/scoring/scorecard")
    line = {"label": "零售客户", "points": "45", "conditions": '{"field": "industry", "op": "eq",'
            ' "value": "retail"}', "index": "", "csrf_token": token}  # fmt: skip

    added = user_client.post("/admin/scoring/scorecard/lines", data=line)
    checked = user_client.post("/admin/scoring/scorecard/check", data={
        **line, "conditions": '{"field": "industry", "op": "gt", "value": "x"}'})  # fmt: skip
    bad = user_client.post("/admin/scoring/scorecard/lines", data={**line, "points": "很多"})
    changed = user_client.post("/admin/scoring/scorecard/lines",
                               data={**line, "points": "50", "index": "0"})  # fmt: skip
    removed = user_client.post("/admin/scoring/scorecard/lines/0/delete",
                               data={"csrf_token": token})  # fmt: skip

    assert added.status_code == 303 and changed.status_code == 303
    assert removed.status_code == 303
    assert checked.status_code == 200 and checked.json()["errors"][0]["field"].startswith(
        "conditions"
    )
    assert bad.status_code == 422 and "points" in bad.text
    with app.uow(read_only=True) as uow:
        versions = uow.score_models.versions(ModelKind.scorecard)
    shown = [(m.version, [ln["points"] for ln in m.params["lines"]], m.active) for m in versions]
    assert shown == [(3, [], True), (2, [50.0], False), (1, [45.0], False)]


def test_the_customer_page_and_list_show_grade_points_probability_and_why(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    ok(user_client.post(f"{API}/scoring/scorecards", json=CARD), 201)
    ok(user_client.post(f"{API}/scoring/models/{_prior(app, 0.3)}/activate"))
    rescore_stale(uow_factory=app.uow, now=app.now)
    user_client.cookies.set("lang", "zh-CN")

    page = user_client.get(f"/customers/{seeded.globex_id}").text
    listed = user_client.get("/customers").text
    user_client.cookies.set("lang", "en")
    english = user_client.get(f"/customers/{seeded.globex_id}").text

    assert "成交概率" in page and "30%" in page and "赢单 +30 分" in page
    assert "基础成交率 30%" in page
    assert re.search(r"评分</th>", listed) and "赢单 +30 分" in listed
    assert "Win probability" in english and "赢单 +30 points" in english


def _builder_fields(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="builder-config">(.*?)</script>', page)
    assert found is not None
    return {f["name"]: f for f in json.loads(found.group(1))["fields"]}


def test_the_rule_editor_offers_probability_and_grade_in_both_languages(
    user_client: TestClient, seeded: World
) -> None:
    user_client.cookies.set("lang", "zh-CN")
    chinese = _builder_fields(user_client.get("/rules/new").text)
    user_client.cookies.set("lang", "en")
    english = _builder_fields(user_client.get("/rules/new").text)

    assert (chinese["win_probability"]["label"], chinese["win_probability"]["type"]) == (
        "成交概率", "number",
    )  # fmt: skip
    assert chinese["grade"]["label"] == "等级"
    assert [v["label"] for v in chinese["grade"]["values"]] == ["A 级", "B 级", "C 级", "D 级"]
    assert (english["win_probability"]["label"], english["grade"]["label"]) == (
        "Win probability", "Grade",
    )  # fmt: skip
