"""Refused forms, the rule checker and the tester answer in zh-CN: the engine's and the
services' messages come from the catalogs (``Phrase`` keys), not in English."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from fenpei.bootstrap import Fenpei
from tests.e2e._visible_text import foreign_words, latin_words, visible_text
from tests.e2e.test_zh_cn_pages import CHINESE, _seed
from tests.fakes import FixedClock

# What the forms below type: data, shown back as typed.
TYPED = ["not-an-email", "many", "nope", "ftp://files", "25:00"]
_BAD_CONDITIONS = json.dumps(
    {
        "all": [
            {"field": "nope", "op": "eq", "value": 1},
            {"field": "region", "op": "between", "value": [1, 2]},
            {"field": "level", "op": "in", "value": "A"},
        ]
    }
)
_RULE = {"priority": "1", "target_kind": "reps", "strategy": "round_robin", "fallback": "queue"}


def _refusals(ids: dict[str, int | str]) -> list[tuple[str, dict[str, object]]]:
    return [
        ("/customers/new", {"name": "x" * 300, "email": "not-an-email", "expected_value": "many"}),
        ("/rules", {**_RULE, "name": " ", "priority": "many", "conditions": _BAD_CONDITIONS}),
        ("/rules", {**_RULE, "name": "坏规则", "conditions": '{"all": ['}),
        ("/rules/try", {**_RULE, "name": "草稿", "customer_json": "[1]"}),
        ("/categories/region/merge", {"code": CHINESE["region"], "into": "nope"}),
        (f"/reps/{ids['rep_id']}", {"name": "", "email": "not-an-email", "max_open": "-1"}),
        ("/admin/subscriptions", {"name": "", "url": "ftp://files"}),
        ("/account/notifications", {"quiet_start": "25:00"}),
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_refused_forms_say_what_to_fix_in_chinese(
    app: Fenpei, clock: FixedClock, client: TestClient
) -> None:
    seeded = _seed(app, clock, client, CHINESE)
    client.cookies.set("lang", "zh-CN")
    found = {}
    for path, form in _refusals(seeded.ids):
        response = client.post(path, data=form)
        assert response.status_code in (200, 422), (path, response.status_code)
        assert "field-error" in response.text or "errors" in response.text, path
        if words := foreign_words(response.text, data=[*seeded.data, *TYPED]):
            found[path] = words

    assert found == {}
    page = " ".join(
        visible_text(client.post("/customers/new", data=_refusals(seeded.ids)[0][1]).text)
    )
    assert "'not-an-email' 不是有效的邮箱地址" in page and "'many' 不是数字" in page


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_rule_checker_and_tester_answer_in_chinese(
    app: Fenpei, clock: FixedClock, client: TestClient
) -> None:
    seeded = _seed(app, clock, client, CHINESE)
    client.cookies.set("lang", "zh-CN")

    checked = client.post(
        "/rules/check", data={**_RULE, "name": "x", "conditions": _BAD_CONDITIONS}
    )
    tried = client.post(
        "/rules/try",
        data={
            "rule_id": str(seeded.ids["rule_id"]),
            "customer_json": '{"region": "华东", "level": "A"}',
        },
    )

    messages = {e["field"]: e["message"] for e in checked.json()["errors"]}
    assert messages["conditions.all[0].field"] == "未知字段 'nope'"
    assert messages["conditions.all[1].op"].startswith("运算符“介于”不适用于字段“区域”")
    assert messages["conditions.all[2].value"] == "“客户等级”属于的取值须为非空列表，收到的是 'A'"
    assert messages["target.rep_ids"] == "请至少选择一名销售"
    assert not {w for m in messages.values() for w in latin_words(m)} - {"nope", "eq", "ne"}
    assert tried.status_code == 200 and foreign_words(tried.text, data=seeded.data) == {}
    assert "负载最低（在跟进 2/30，7%）" in tried.text and "休假至" in tried.text
