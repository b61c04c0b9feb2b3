"""Duplicates and merge over HTTP: scan, the pairs with their reasons, preview with the
owner rule, merge (the owner change through an assignment), the merged customer hidden,
undo; bad input named with nothing changed; a rep may not merge, a manager may not undo."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.testclient import TestClient

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e.conftest import World
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_org import API, client_for, ok


def _merges(app: Fenpei) -> int:
    with app.engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(t.customer_merges)) or 0


def test_scan_review_merge_and_undo_over_the_api(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    ok(user_client.patch(f"{API}/customers/{seeded.acme_id}", json={"phone": "13800138000"}))
    twin = ok(user_client.post(
        f"{API}/customers?route=false&allow_duplicate=true",
        json={"name": "Acme twin", "phone": "+86 138 0013 8000", "email": "twin@acme.test"},
    ), 201)["customer"]  # fmt: skip
    scanned = ok(user_client.post(f"{API}/dedupe/scan"))
    assert scanned["found"] >= 1
    page = ok(user_client.get(f"{API}/dedupe/pairs"))
    pair = next(p for p in page["items"] if {p["low"]["id"], p["high"]["id"]} ==
                {seeded.acme_id, twin["id"]})  # fmt: skip
    assert "phone" in pair["reasons"] and pair["status"] == "open"

    preview = ok(user_client.get(
        f"{API}/dedupe/preview", params={"survivor_id": twin["id"], "loser_id": seeded.acme_id}
    ))  # fmt: skip
    assert preview["owner_rule"] == "only_other" and preview["owner_changes"] is True
    assert preview["owner_after"] == seeded.darcel_id

    before = _merges(app)
    bad = user_client.post(f"{API}/dedupe/merges", json={
        "survivor_id": twin["id"], "loser_id": seeded.acme_id, "choices": {"owner_id": "loser"},
    })  # fmt: skip
    assert_error(bad, 422, "validation_failed", "choices.owner_id")
    same = user_client.post(
        f"{API}/dedupe/merges", json={"survivor_id": twin["id"], "loser_id": twin["id"]}
    )
    assert_error(same, 422, "validation_failed", "loser_id")
    assert _merges(app) == before

    rep = client_for(app, "rep_m", Role.rep, rep_id=seeded.darcel_id)
    refused = rep.post(
        f"{API}/dedupe/merges", json={"survivor_id": twin["id"], "loser_id": seeded.acme_id}
    )
    assert refused.status_code == 403

    merged = ok(user_client.post(f"{API}/dedupe/merges", json={
        "survivor_id": twin["id"], "loser_id": seeded.acme_id, "choices": {"name": "loser"},
    }), 201)  # fmt: skip
    assert merged["moved"]["assignments"] >= 2
    assert merged["owner_change"] == {"from": None, "to": seeded.darcel_id, "rule": "only_other"}
    kept = ok(user_client.get(f"{API}/customers/{twin['id']}"))
    assert kept["owner_id"] == seeded.darcel_id and kept["email"] == "twin@acme.test"
    assert user_client.get(f"{API}/customers/{seeded.acme_id}").status_code == 404
    history = ok(user_client.get(f"{API}/customers/{twin['id']}/history"))
    assert [a["method"] for a in history].count("merge") == 1

    manager = client_for(app, "mgr_m", Role.manager)
    assert manager.post(f"{API}/dedupe/merges/{merged['id']}/undo").status_code == 403
    undone = ok(user_client.post(f"{API}/dedupe/merges/{merged['id']}/undo"))
    assert undone["undone_at"] is not None
    assert ok(user_client.get(f"{API}/customers/{seeded.acme_id}"))["owner_id"] == seeded.darcel_id
    again = user_client.post(f"{API}/dedupe/merges/{merged['id']}/undo")
    assert_error(again, 409, "conflict")
