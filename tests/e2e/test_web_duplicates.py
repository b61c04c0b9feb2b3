"""查重 and 移至公海 in the browser's terms: the pool page's duplicate box tells a rep who owns
a customer and until when it is protected, without its name; the new-customer form asks
before creating a duplicate; a manager moves ticked customers to another pool after a
confirmation stating the count; pooled contacts stay masked on the customer pages."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.testclient import TestClient

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e.conftest import World
from tests.e2e.test_api_org import API, client_for, ok
from tests.e2e.test_web import text_of


def _count(app: Fenpei) -> int:
    with app.engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(t.customers)) or 0


def _pool_of(app: Fenpei, customer_id: int) -> str | None:
    with app.engine.connect() as connection:
        return connection.scalar(
            sa.select(t.customers.c.pool).where(t.customers.c.id == customer_id)
        )


def _waiting(app: Fenpei, customer_id: int, pool: str = "public") -> None:
    with app.engine.begin() as connection:
        connection.execute(
            sa.update(t.customers)
            .where(t.customers.c.id == customer_id)
            .values(owner_id=None, pool=pool)
        )


def test_the_pool_box_tells_a_rep_the_owner_and_protection_not_the_customer(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    ok(user_client.put(f"{API}/pools/public", json={"protection_days": 30}))
    ok(user_client.patch(f"{API}/customers/{seeded.acme_id}", json={"phone": "13800138000"}))
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)

    page = moses.get("/pool", params={"lang": "zh-CN", "dup_phone": "+86 138 0013 8000"})
    words = text_of(page.text)

    assert page.status_code == 200
    assert "找到 1 个已有客户" in words and "负责人：Darcel Schlecht" in words
    assert "保护期至" in words and "您权限外的一个客户" in words
    assert "Acme 上海" not in words


def test_the_pool_box_marks_a_field_it_cannot_compare(
    user_client: TestClient, seeded: World
) -> None:
    page = user_client.get("/pool", params={"lang": "zh-CN", "dup_phone": "12"})
    assert page.status_code == 422
    assert 'id="dup-phone"' in page.text and 'aria-invalid="true"' in page.text
    assert "无法比对" in text_of(page.text)


def test_the_new_customer_form_asks_before_creating_a_duplicate(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    ok(user_client.patch(f"{API}/customers/{seeded.acme_id}", json={"email": "ceo@acme.cn"}))
    before = _count(app)
    form = {"name": "Acme 再来", "email": "CEO@acme.cn"}

    asked = user_client.post("/customers/new?lang=zh-CN", data=form)
    assert asked.status_code == 409
    assert "撞单" in text_of(asked.text) and 'name="allow_duplicate"' in asked.text
    assert f'href="/customers/{seeded.acme_id}"' in asked.text
    assert _count(app) == before

    created = user_client.post("/customers/new", data={**form, "allow_duplicate": "1"})
    assert created.status_code == 303
    assert _count(app) == before + 1


def test_a_manager_moves_ticked_customers_after_a_confirmation_with_the_count(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _waiting(app, seeded.globex_id)
    _waiting(app, seeded.script_id)
    ok(user_client.put(f"{API}/pools/vip", json={"name": "VIP 公海"}))
    form = {"customer_ids": [seeded.globex_id, seeded.script_id], "key": "public",
            "to_pool": "vip", "reason": "大客户"}  # fmt: skip

    page = user_client.get("/pool?lang=zh-CN")
    assert 'form="pool-move"' in page.text and "移至公海…" in text_of(page.text)
    asked = user_client.post("/pool/move?lang=zh-CN", data=form)
    assert asked.status_code == 200
    assert "将 2 个客户从「公共公海」移至「VIP 公海」" in text_of(asked.text)
    assert _pool_of(app, seeded.globex_id) == "public"

    done = user_client.post("/pool/move", data={**form, "confirmed": "1"})
    assert done.status_code == 303 and "moved=2" in done.headers["location"]
    assert [_pool_of(app, seeded.globex_id), _pool_of(app, seeded.script_id)] == ["vip"] * 2
    history = ok(user_client.get(f"{API}/customers/{seeded.globex_id}/history"))
    assert (history[-1]["method"], history[-1]["reason"]) == ("move", "大客户")


def test_a_move_of_an_owned_customer_is_refused_on_the_page(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    refused = user_client.post(
        "/pool/move?lang=zh-CN",
        data={"customer_ids": [seeded.acme_id], "key": "public", "to_pool": "vip"},
    )
    assert refused.status_code == 422
    assert f"客户 {seeded.acme_id} 已有负责人" in text_of(refused.text)


def test_pooled_contacts_are_masked_on_the_customer_list_and_page_for_a_manager(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    ok(user_client.put(f"{API}/pools/public", json={"mask_contacts": True}))
    ok(user_client.patch(f"{API}/customers/{seeded.globex_id}", json={"phone": "13800138000"}))
    _waiting(app, seeded.globex_id)
    boss = client_for(app, "boss", Role.manager)
    with app.engine.begin() as connection:
        boss_id = connection.scalar(sa.select(t.users.c.id).where(t.users.c.username == "boss"))
        connection.execute(
            sa.update(t.teams).where(t.teams.c.id == seeded.team_id).values(manager_user_id=boss_id)
        )
        connection.execute(
            sa.update(t.customers)
            .where(t.customers.c.id == seeded.globex_id)
            .values(team_id=seeded.team_id)
        )

    listed = boss.get("/customers?q=Globex")
    detail = boss.get(f"/customers/{seeded.globex_id}")

    assert (listed.status_code, detail.status_code) == (200, 200)
    assert "Globex" in listed.text and "13800138000" not in listed.text  # the list shows no phone
    assert "138****8000" in detail.text and "13800138000" not in detail.text
    assert "13800138000" in user_client.get(f"/customers/{seeded.globex_id}").text


def test_a_match_waiting_in_a_pool_names_the_pool_in_words(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    ok(user_client.patch(f"{API}/customers/{seeded.globex_id}", json={"phone": "13900139000"}))
    _waiting(app, seeded.globex_id)
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)

    page = moses.get("/pool", params={"lang": "zh-CN", "dup_phone": "139 0013 9000"})

    words = text_of(page.text)
    assert "在公海「公共公海」中" in words and "Globex" in words  # a pool the rep may see
