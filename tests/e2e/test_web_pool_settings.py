"""公海设置 in the browser's terms: an admin edits every term of a pool (bad input marked,
nothing saved), sees what reclaim would take now and why, runs it; a rep may not open the
page; the owner marks a key account from the customer page, within the cap."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from starlette.testclient import TestClient

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e.conftest import World
from tests.e2e.test_api_org import API, client_for, ok
from tests.e2e.test_web import text_of
from tests.fakes import FixedClock

TERMS = {
    "key": "public", "name": "公海", "reclaim_enabled": "on", "no_follow_up_days": "30",
    "level_days.A.no_follow_up": "10", "warn_days": "2", "cooldown_days": "3",
    "protection_days": "1", "exempt_key_accounts": "on", "exempt_won": "on",
    "reclaim_action": "pool", "daily_claim_cap": "", "max_owned": "", "max_key_accounts": "1",
}  # fmt: skip


def _public(client: TestClient) -> dict[str, object]:
    return next(p for p in ok(client.get(f"{API}/pools")) if p["key"] == "public")


def test_an_admin_sets_reclaim_terms_dry_runs_and_runs_reclaim(
    app: Fenpei, user_client: TestClient, seeded: World, clock: FixedClock
) -> None:
    page = user_client.get("/pool/settings?lang=zh-CN")
    assert page.status_code == 200
    assert "保护期（天）" in text_of(page.text) and "按客户级别设置天数" in text_of(page.text)

    bad = user_client.post(
        "/pool/settings?lang=zh-CN",
        data={**TERMS, "warn_days": "两天", "level_days.B.stuck": "0"},
    )
    assert bad.status_code == 422
    words = text_of(bad.text)
    assert "设置未保存" in words and "请填写 0 到 3650 之间的整数" in words
    assert "请填写 1 到 3650 之间的整数，或留空" in words
    assert bad.text.count('aria-invalid="true"') == 2
    assert _public(user_client)["reclaim_enabled"] is False

    saved = user_client.post("/pool/settings", data=TERMS)
    assert (saved.status_code, saved.headers["location"]) == (303, "/pool/settings?saved=public")
    assert "已保存公海 公海 的设置" in text_of(user_client.get(saved.headers["location"]).text)
    public = _public(user_client)
    assert public["level_days"] == {"A": {"no_follow_up": 10}} and public["warn_days"] == 2
    assert public["max_key_accounts"] == 1 and public["daily_claim_cap"] is None

    with app.engine.begin() as connection:  # given ten days ago (the session would expire
        connection.execute(  # if the clock moved instead)
            sa.update(t.customers)
            .where(t.customers.c.id == seeded.acme_id)
            .values(assigned_at=clock.now() - timedelta(days=10))
        )
    dry = user_client.get("/pool/settings?dry_run=true&lang=zh-CN")
    assert "现在将回收 1 个客户" in text_of(dry.text)
    assert "10 天未跟进（A 级客户）" in text_of(dry.text) and "Acme 上海" in dry.text
    assert "<td>公海</td>" in dry.text and "<td>public</td>" not in dry.text  # its name
    ran = user_client.post("/pool/settings/reclaim")
    assert ran.headers["location"] == "/pool/settings?reclaimed=1&warned=0"
    history = ok(user_client.get(f"{API}/customers/{seeded.acme_id}/history"))
    (reclaimed,) = [h for h in history if h["method"] == "reclaim"]
    assert reclaimed["to_rep_id"] is None and reclaimed["from_rep_id"] == seeded.darcel_id


def test_a_rep_may_not_open_the_settings(app: Fenpei, seeded: World) -> None:
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)
    assert moses.get("/pool/settings").status_code == 403
    assert moses.post("/pool/settings", data=TERMS).status_code == 403


def test_the_owner_marks_a_key_account_within_the_cap(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    ok(user_client.put(f"{API}/pools/public", json={"max_key_accounts": 0}))
    darcel = client_for(app, "darcel", Role.rep, rep_id=seeded.darcel_id)
    page = darcel.get(f"/customers/{seeded.acme_id}?lang=zh-CN")
    assert "这不是重点客户" in text_of(page.text) and "设为重点客户" in text_of(page.text)
    full = darcel.post(f"/customers/{seeded.acme_id}/key-account", data={"mark": "true"})
    assert full.status_code == 409
    ok(user_client.put(f"{API}/pools/public", json={"max_key_accounts": 1}))
    marked = darcel.post(f"/customers/{seeded.acme_id}/key-account", data={"mark": "true"})
    assert marked.status_code == 303
    assert "这是重点客户" in text_of(darcel.get(f"/customers/{seeded.acme_id}?lang=zh-CN").text)
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)
    assert moses.post(f"/customers/{seeded.acme_id}/key-account").status_code == 404
    read = ok(user_client.get(f"{API}/customers/{seeded.acme_id}"))
    assert read["key_account"] is True
