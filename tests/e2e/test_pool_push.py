"""The pool's gaps through the page and the API: a manager ticks customers and pushes them
to a rep after one confirmation (refusals in words, all or nothing; the API idempotent), a
won customer is not returned, 撞单 is refused at claim with who and until when, the
reclaim dry run counts everything, and the pool's filters follow the URL."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from starlette.testclient import TestClient

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e.conftest import World
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_org import API, client_for, ok
from tests.e2e.test_api_pools import _into_pool
from tests.e2e.test_web import text_of
from tests.fakes import FixedClock


def _owner(app: Fenpei, customer_id: int) -> int | None:
    with app.engine.connect() as connection:
        return connection.scalar(
            sa.select(t.customers.c.owner_id).where(t.customers.c.id == customer_id)
        )


def test_a_manager_pushes_ticked_customers_to_a_rep_after_one_confirmation(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _into_pool(app, seeded.globex_id, stage="contacted")
    _into_pool(app, seeded.script_id)
    ids = [seeded.globex_id, seeded.script_id]

    page = user_client.get("/pool?lang=zh-CN")
    assert 'formaction="/pool/push"' in page.text and "分配给…" in text_of(page.text)
    asked = user_client.post(
        "/pool/push?lang=zh-CN",
        data={"customer_ids": ids, "key": "public", "rep_id": str(seeded.moses_id)},
    )
    assert asked.status_code == 200
    assert "将 2 个客户从「公共公海」分配给 Moses Frase？" in text_of(asked.text)
    assert _owner(app, seeded.globex_id) is None, "only checked before the confirmation"

    done = user_client.post(
        "/pool/push",
        data={
            "customer_ids": ids,
            "key": "public",
            "rep_id": str(seeded.moses_id),
            "confirmed": "1",
        },
    )
    assert (done.status_code, done.headers["location"]) == (303, "/pool?key=public&pushed=2")
    assert {_owner(app, i) for i in ids} == {seeded.moses_id}
    assert "已分配 2 个客户。" in text_of(user_client.get("/pool?pushed=2&lang=zh-CN").text)
    history = ok(user_client.get(f"{API}/customers/{seeded.globex_id}/history"))
    assert history[-1]["method"] == "manual" and history[-1]["to_rep_id"] == seeded.moses_id


def test_a_push_that_cannot_all_go_says_why_in_words_and_pushes_nothing(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _into_pool(app, seeded.globex_id, stage="contacted")
    _into_pool(app, seeded.script_id)
    ok(user_client.put(f"{API}/pools/public", json={"max_owned": 1}))
    ids = [seeded.globex_id, seeded.script_id]
    form = {"customer_ids": ids, "key": "public", "rep_id": str(seeded.darcel_id)}

    refused = user_client.post("/pool/push?lang=zh-CN", data=form)
    assert refused.status_code == 422
    assert "该销售持有的客户已达公海上限" in text_of(refused.text)  # Darcel owns Acme
    no_rep = user_client.post("/pool/push?lang=zh-CN", data={**form, "rep_id": ""})
    assert no_rep.status_code == 422 and "请选择接收客户的销售" in text_of(no_rep.text)
    assert {_owner(app, i) for i in ids} == {None}

    api = user_client.post(
        f"{API}/pools/public/push", json={"customer_ids": ids, "rep_id": seeded.darcel_id}
    )
    assert_error(api, 422, "validation_failed", "customer_ids")
    assert {_owner(app, i) for i in ids} == {None}


def test_the_api_push_is_idempotent_and_for_writers_only(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _into_pool(app, seeded.globex_id, stage="contacted")
    body = {"customer_ids": [seeded.globex_id], "rep_id": seeded.moses_id}
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)
    assert_error(moses.post(f"{API}/pools/public/push", json=body), 403, "permission_denied")

    headers = {"Idempotency-Key": "push-1"}
    first = user_client.post(f"{API}/pools/public/push", json=body, headers=headers)
    again = user_client.post(f"{API}/pools/public/push", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json() == again.json()
    [record] = first.json()["pushed"]
    assert (record["method"], record["to_rep_id"]) == ("manual", seeded.moses_id)
    other = user_client.post(
        f"{API}/pools/public/push", json={**body, "rep_id": seeded.darcel_id}, headers=headers
    )
    assert other.status_code == 409
    history = ok(user_client.get(f"{API}/customers/{seeded.globex_id}/history"))
    assert [h["method"] for h in history].count("manual") == 1
    audit = ok(
        user_client.get(
            f"{API}/audit", params={"object_type": "customer", "object_id": seeded.globex_id}
        )
    )
    assert [e["action"] for e in audit].count("assign.manual") == 1


def test_a_won_customer_is_not_returned_from_the_page_or_the_api(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    with app.engine.begin() as connection:
        connection.execute(
            sa.update(t.customers)
            .where(t.customers.c.id == seeded.globex_id)
            .values(owner_id=seeded.moses_id, pool=None, stage="won")
        )
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)
    page = moses.post(f"/customers/{seeded.globex_id}/return", data={"reason": "no_need"})
    assert page.headers["location"].endswith("?return_error=won")
    shown = moses.get(page.headers["location"] + "&lang=zh-CN")
    assert "已成交的客户不能退回公海" in text_of(shown.text)
    assert f'action="/customers/{seeded.globex_id}/return"' not in shown.text  # no form offered
    plain = moses.get(f"/customers/{seeded.globex_id}?lang=zh-CN")  # not after a refusal
    assert "已成交的客户不能退回公海" in text_of(plain.text)
    assert f'action="/customers/{seeded.globex_id}/return"' not in plain.text
    api = user_client.post(
        f"{API}/pools/returns", json={"customer_id": seeded.globex_id, "reason": "no_need"}
    )
    assert_error(api, 409, "claim_refused")
    assert "won customer cannot be returned" in api.json()["message"]
    assert _owner(app, seeded.globex_id) == seeded.moses_id


def test_a_claim_colliding_with_a_protected_customer_says_who_and_until_when(
    app: Fenpei, user_client: TestClient, seeded: World, clock: FixedClock
) -> None:
    ok(user_client.put(f"{API}/pools/public", json={"protection_days": 10}))
    with app.engine.begin() as connection:  # Darcel's Acme: the same phone, given just now
        connection.execute(
            sa.update(t.customers)
            .where(t.customers.c.id == seeded.acme_id)
            .values(phone="138 0013 8000", phone_key="13800138000", assigned_at=clock.now())
        )
    _into_pool(app, seeded.script_id)
    with app.engine.begin() as connection:
        connection.execute(
            sa.update(t.customers)
            .where(t.customers.c.id == seeded.script_id)
            .values(phone_key="13800138000")
        )
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)
    until = clock.now() + timedelta(days=10)
    page = moses.post("/pool/claim?lang=zh-CN", data={"customer_id": seeded.script_id})
    assert page.status_code == 409
    shown = (
        f"撞单：Darcel Schlecht 已有电话相同的客户，保护期至 {until:%Y-%m-%d %H:%M}（协调世界时）"
    )
    assert shown in text_of(page.text)
    api = moses.post(f"{API}/pools/claims", json={"customer_id": seeded.script_id})
    assert_error(api, 409, "claim_refused")
    assert "Darcel Schlecht owns a customer with the same phone" in api.json()["message"]
    assert _owner(app, seeded.script_id) is None


def test_the_reclaim_plan_counts_everything_due(
    app: Fenpei, user_client: TestClient, seeded: World, clock: FixedClock
) -> None:
    ok(user_client.put(f"{API}/pools/public", json={"reclaim_enabled": True, "not_won_days": 1}))
    with app.engine.begin() as connection:  # owned for two days
        connection.execute(
            sa.update(t.customers)
            .where(t.customers.c.owner_id.is_not(None))
            .values(assigned_at=clock.now() - timedelta(days=2))
        )
    response = user_client.get(f"{API}/pools/reclaim-plan")
    items = ok(response)
    assert response.headers["X-Total-Count"] == str(len(items)) and items
    page = user_client.get("/pool/settings?dry_run=true&lang=en")
    assert f"{len(items)} customers would be reclaimed now" in text_of(page.text)


def test_the_pool_filters_follow_the_url(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _into_pool(app, seeded.acme_id)  # level A, region East
    _into_pool(app, seeded.globex_id)  # region West
    page = user_client.get("/pool?key=public&level=A&lang=zh-CN")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Acme 上海" in words and "Globex" not in words and "共 1 个客户在此等待领取" in words
    assert "等待至少（天）" in words and "清除筛选" in words

    partial = user_client.get("/pool?key=public&region=West&q=", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    assert partial.headers["HX-Push-Url"] == "/pool?key=public&region=West"
    assert "Globex" in partial.text and "Acme" not in partial.text
    waited = user_client.get("/pool?key=public&waiting_days=30")
    assert "Globex" not in waited.text and "Acme" not in waited.text
    assert user_client.get("/pool?waiting_days=soon").status_code == 422
    en = text_of(user_client.get("/pool?level=A&lang=en").text)
    assert "Waiting at least (days)" in en and "Clear filters" in en


def test_a_returned_key_account_is_one_no_more_and_the_history_says_so(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    url = f"{API}/customers/{seeded.acme_id}/key-account"
    assert ok(user_client.put(url, json={"key_account": True}))["key_account"] is True
    ok(
        user_client.post(
            f"{API}/pools/returns", json={"customer_id": seeded.acme_id, "reason": "no_need"}
        ),
        201,
    )
    assert ok(user_client.get(f"{API}/customers/{seeded.acme_id}"))["key_account"] is False
    history = ok(user_client.get(f"{API}/customers/{seeded.acme_id}/history"))
    [returned] = [h for h in history if h["method"] == "return"]
    assert returned["explanation"]["key_account_cleared"] is True
    page = user_client.get(f"/customers/{seeded.acme_id}?lang=zh-CN")
    assert "重点客户标记已随原负责人取消" in text_of(page.text)
