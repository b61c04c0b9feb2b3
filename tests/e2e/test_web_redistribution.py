"""公海再分配 in the browser's terms: from the pool page a manager picks a rule, reads the
preview in Chinese (nothing changed), confirms, and the customers have owners."""

from __future__ import annotations

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e._visible_text import foreign_words
from tests.e2e.conftest import World
from tests.e2e.test_api_org import client_for
from tests.e2e.test_api_pools import _into_pool
from tests.e2e.test_api_redistribution import _owners, team_rule
from tests.e2e.test_web import text_of


def test_a_pool_is_previewed_in_chinese_then_redistributed(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    for customer_id in (seeded.globex_id, seeded.script_id):
        _into_pool(app, customer_id)
    rule_id = team_rule(app, seeded)

    pool = user_client.get("/pool?lang=zh-CN")
    picker = user_client.get("/pool/redistribute?key=public")
    preview = user_client.post("/pool/redistribute", data={"key": "public", "rule_id": rule_id})
    untouched = _owners(app, seeded.globex_id, seeded.script_id)
    done = user_client.post(
        "/pool/redistribute", data={"key": "public", "rule_id": rule_id, "confirmed": "1"}
    )
    after = user_client.get(done.headers["location"])

    assert 'href="/pool/redistribute?key=public"' in pool.text
    assert "按成交概率再分配" in text_of(pool.text)
    assert picker.status_code == 200 and "East optimal" in picker.text
    words = text_of(preview.text)
    assert preview.status_code == 200, words
    assert "按规则「East optimal」，2 个客户中将有 2 个分配给销售，0 个留在公海。" in words
    assert "未启用成交预测模型：按负载分配。" in words
    assert "未启用成交预测模型，改按负载最低" in words  # each customer's reason
    data = [
        "East optimal",
        "Globex",
        "<script>alert(1)</script>",
        "Moses Frase",
        "Darcel Schlecht",
        "Ada Admin",
    ]
    assert foreign_words(preview.text, data=data) == {}
    assert untouched == [None, None]
    assert done.status_code == 303
    assert "已再分配 2 个客户。" in text_of(after.text)
    assert None not in _owners(app, seeded.globex_id, seeded.script_id)


def test_reps_may_not_and_a_bad_rule_is_said_in_words(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _into_pool(app, seeded.globex_id)
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)

    refused = moses.get("/pool/redistribute?key=public")
    bad = user_client.post("/pool/redistribute?lang=zh-CN", data={"key": "public", "rule_id": 999})

    assert refused.status_code == 403
    assert bad.status_code == 422
    assert "没有编号为 999 的已启用规则" in text_of(bad.text)
