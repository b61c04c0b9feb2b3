"""查重合并 pages without a browser: the merge form as posted (a field from the other
customer, a bad choice named), the kept customer's page showing the merge in its history
(the owner change by the rule), the scan and the dismiss buttons."""

from __future__ import annotations

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from tests.e2e.conftest import World
from tests.e2e.test_api_org import API, ok
from tests.e2e.test_web import text_of


def test_the_merge_form_merges_and_the_history_shows_it(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    ok(user_client.patch(f"{API}/customers/{seeded.acme_id}", json={"phone": "13800138000"}))
    twin = ok(user_client.post(
        f"{API}/customers?route=false&allow_duplicate=true",
        json={"name": "Acme twin", "phone": "+86 138 0013 8000", "city": "上海"},
    ), 201)["customer"]  # fmt: skip
    scanned = user_client.post("/dedupe/scan?lang=zh-CN")
    assert scanned.status_code == 303
    listed = user_client.get(scanned.headers["location"] + "&lang=zh-CN")
    assert "电话相同" in text_of(listed.text)

    form = user_client.get(f"/dedupe/merge?survivor={twin['id']}&other={seeded.acme_id}")
    assert form.status_code == 200 and "合并后的负责人" in text_of(form.text)
    assert "只有被合并客户有负责人" in text_of(form.text)

    bad = user_client.post("/dedupe/merge", data={
        "survivor_id": str(twin["id"]), "loser_id": str(seeded.acme_id), "choice:phone": "both",
    })  # fmt: skip
    assert bad.status_code == 422 and "choices.phone" in bad.text
    assert user_client.get(f"{API}/customers/{seeded.acme_id}").status_code == 200

    done = user_client.post("/dedupe/merge", data={
        "survivor_id": str(twin["id"]), "loser_id": str(seeded.acme_id), "choice:name": "loser",
    })  # fmt: skip
    assert done.status_code == 303 and done.headers["location"].startswith("/dedupe/merges")
    page = user_client.get(f"/customers/{twin['id']}?lang=zh-CN")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "客户合并" in text and "Acme" in text
    merges = user_client.get("/dedupe/merges?lang=zh-CN")
    assert "撤销" in text_of(merges.text)
