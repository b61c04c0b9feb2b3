"""公海 in the browser's terms: a rep sees the pool with its terms in Chinese, claims, is
refused in words that say why, and returns a customer from its page with a reason."""

from __future__ import annotations

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e.conftest import World
from tests.e2e.test_api_org import API, client_for, ok
from tests.e2e.test_api_pools import _into_pool
from tests.e2e.test_web import text_of


def test_a_rep_claims_from_the_pool_page_and_returns_from_the_customer_page(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _into_pool(app, seeded.globex_id, stage="contacted")  # a won one is never returned
    _into_pool(app, seeded.script_id)
    ok(user_client.put(f"{API}/pools/public", json={"daily_claim_cap": 1, "mask_contacts": True}))
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)

    page = moses.get("/pool?lang=zh-CN")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "共 2 个客户在此等待领取" in words and "每人每天最多领取 1 个" in words
    assert "138****8000" in words and "13800138000" not in words
    claimed = moses.post("/pool/claim", data={"customer_id": seeded.globex_id, "key": "public"})
    assert claimed.status_code == 303 and "claimed=Globex" in claimed.headers["location"]
    refused = moses.post("/pool/claim", data={"customer_id": seeded.script_id, "key": "public"})
    assert refused.status_code == 409
    assert "今天的领取次数已用完" in text_of(refused.text)

    customer = moses.get(f"/customers/{seeded.globex_id}?lang=zh-CN")
    assert "退回公海" in text_of(customer.text) and "联系不上" in text_of(customer.text)
    no_reason = moses.post(f"/customers/{seeded.globex_id}/return", data={"reason": ""})
    assert no_reason.headers["location"].endswith("?return_error=1")
    back = moses.post(
        f"/customers/{seeded.globex_id}/return", data={"reason": "no_need", "note": "明年再说"}
    )
    assert (back.status_code, back.headers["location"]) == (303, "/my?returned=1")
    history = ok(user_client.get(f"{API}/customers/{seeded.globex_id}/history"))
    assert [h["method"] for h in history][-2:] == ["claim", "return"]
    assert "已退回公海" in text_of(moses.get("/my?returned=1&lang=zh-CN").text)
    # The seeded reason is stored as its bilingual label; each page says it in its language.
    zh = text_of(user_client.get(f"/customers/{seeded.globex_id}?lang=zh-CN").text)
    assert "暂无需求: 明年再说" in zh and "No need" not in zh
    en = text_of(user_client.get(f"/customers/{seeded.globex_id}?lang=en").text)
    assert "No need: 明年再说" in en and "暂无需求" not in en


def test_a_manager_sees_the_pool_without_claim_buttons(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _into_pool(app, seeded.globex_id)
    page = user_client.get("/pool?lang=en")
    assert page.status_code == 200
    assert "Open and assign" in text_of(page.text) and 'action="/pool/claim"' not in page.text
    assert "13800138000" in page.text  # an admin sees contacts even where reps do not
