"""CRM sync over HTTP on SQLite and PostgreSQL: the bridge's signed webhook (good batches
upsert by external id; bad ones are refused naming the record and field, nothing written),
the admin API against the local Zoho server, the CSV of assignments, and /admin/sync."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.config import SyncConnection
from fenpei.domain.users import SYSTEM
from fenpei.services import org
from tests import _zoho_server as z
from tests.e2e.conftest import World, asgi_app, log_in
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_tokens import make_token
from tests.e2e.test_api_webhooks import signed_headers

HOOK = "/api/v1/webhooks/sync/legacy"
API = "/api/v1/sync/connections"


@pytest.fixture(scope="module")
def zoho() -> Iterator[z.ZohoServer]:
    server = z.ZohoServer().start()
    yield server
    server.stop()


@pytest.fixture
def synced(app: Fenpei, seeded: World, zoho: z.ZohoServer) -> Iterator[TestClient]:
    """Two connections configured (a Zoho one at the local server, a bridge), reps with
    emails; a client with no session."""
    zoho.reset()
    app.settings.sync_connections = [
        SyncConnection(
            name="zoho", kind="zoho", accounts_url=zoho.url, api_url=zoho.url,
            client_id=z.CLIENT_ID, client_secret=z.CLIENT_SECRET, refresh_token=z.REFRESH_TOKEN,
        ),
        SyncConnection(name="legacy", kind="bridge", module="Accounts"),
    ]  # fmt: skip
    with app.uow() as uow:
        for name in ("li", "wang"):
            org.create_rep(
                uow=uow, fields={"name": name, "email": f"{name}@example.cn"}, actor=SYSTEM,
                now=app.now(),
            )  # fmt: skip
        uow.commit()
    with TestClient(asgi_app(app), follow_redirects=False) as client:
        yield client


def _rows(app: Fenpei) -> tuple[int, int, int, int]:
    with app.engine.connect() as c:
        return tuple(  # type: ignore[return-value]
            c.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in (t.customers, t.sync_links, t.assignments, t.audit_log)
        )


def _send(app: Fenpei, client: TestClient, plaintext: str, body: object) -> object:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return client.post(HOOK, content=raw, headers=signed_headers(app, plaintext, raw))


def _records(*items: dict[str, object]) -> dict[str, object]:
    return {"records": list(items)}


def test_bridge_webhook_upserts_by_external_id_and_gives_to_the_named_owner(
    app: Fenpei, synced: TestClient
) -> None:
    _, plaintext = make_token(app, "sync:write")
    li_lei = {"name": "李雷", "city": "杭州"}
    first = _records(
        {"external_id": "A-1", "fields": {"name": "王芳", "phone": "13800001111"}},
        {"external_id": "A-2", "owner_email": "LI@example.cn", "fields": li_lei},
    )

    created = _send(app, synced, plaintext, first)
    again = _send(app, synced, plaintext, _records(
        {"external_id": "A-1", "fields": {"name": "王芳", "city": "上海"}},
    ))  # fmt: skip

    assert created.status_code == 200, created.text  # type: ignore[attr-defined]
    assert created.json() == {"created": 2, "updated": 0, "linked": 0, "owner_changes": 1}  # type: ignore[attr-defined]
    assert again.json() == {"created": 0, "updated": 1, "linked": 0, "owner_changes": 0}  # type: ignore[attr-defined]
    with app.engine.connect() as c:
        rows = c.execute(
            sa.select(t.sync_links.c.external_id, t.customers.c.city, t.reps.c.name)
            .join(t.customers, t.customers.c.id == t.sync_links.c.customer_id)
            .outerjoin(t.reps, t.reps.c.id == t.customers.c.owner_id)
            .where(t.sync_links.c.connection == "legacy")
            .order_by(t.sync_links.c.external_id)
        ).all()
    assert [tuple(r) for r in rows] == [("A-1", "上海", None), ("A-2", "杭州", "li")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        ({"rows": []}, "records"),
        ({"records": []}, "records"),
        ({"records": ["x"]}, "records[0]"),
        (_records({"fields": {"name": "x"}}), "records[0].external_id"),
        (_records({"external_id": "B-1", "fields": {}}), "records[0].fields"),
        (
            _records(
                {"external_id": "B-1", "fields": {"name": "好的"}},
                {"external_id": "B-2", "fields": {"name": "坏的", "email": "not-an-email"}},
            ),
            "records[1].fields.email",
        ),
        (
            _records(
                {"external_id": "B-1", "fields": {"name": "甲"}},
                {"external_id": "B-1", "fields": {"name": "乙"}},
            ),
            "records[1].external_id",
        ),
        (
            _records(
                {"external_id": "B-1", "owner_email": "no@example.cn", "fields": {"name": "甲"}}
            ),
            "records[0].owner_email",
        ),
        (
            _records({"external_id": "B-1", "fields": {"name": "甲", "custom.nope": 1}}),
            "records[0].fields.custom.nope",
        ),
    ],
)
def test_bridge_webhook_refuses_a_bad_batch_naming_the_record_and_writes_nothing(
    app: Fenpei, synced: TestClient, body: object, field: str
) -> None:
    _, plaintext = make_token(app, "sync:write")
    before = _rows(app)

    response = _send(app, synced, plaintext, body)

    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    errors = response.json()["errors"]  # type: ignore[attr-defined]
    assert any(e["field"].startswith(field) for e in errors), errors
    assert _rows(app) == before


def test_bridge_webhook_needs_a_good_signature_and_the_sync_scope(
    app: Fenpei, synced: TestClient
) -> None:
    _, leads_only = make_token(app, "leads:write")
    _, plaintext = make_token(app, "sync:write")
    body = json.dumps(_records({"external_id": "C-1", "fields": {"name": "甲"}})).encode()
    before = _rows(app)

    unsigned = synced.post(HOOK, content=body, headers={"Content-Type": "application/json"})
    wrong_scope = synced.post(HOOK, content=body, headers=signed_headers(app, leads_only, body))
    headers = signed_headers(app, plaintext, body)
    tampered = synced.post(HOOK, content=body.replace(b"C-1", b"C-2"), headers=headers)
    unknown = synced.post(
        "/api/v1/webhooks/sync/nope", content=body, headers=signed_headers(app, plaintext, body)
    )

    assert_error(unsigned, 401, "not_authenticated")
    assert_error(wrong_scope, 403, "permission_denied")
    assert_error(tampered, 401, "not_authenticated")
    assert unknown.status_code == 404
    assert _rows(app) == before


def test_admin_api_lists_runs_resets_and_exports_assignments_as_csv(
    app: Fenpei, synced: TestClient, zoho: z.ZohoServer
) -> None:
    log_in(synced)
    li = zoho.add_user("li@example.cn", "Li")
    for i in range(3):
        zoho.add_record(
            li, Full_Name=f"客户 {i}", Email=f"c{i}@example.cn", Company="=cmd|' /C calc'!A0"
        )

    listed = synced.get(API)
    ran = synced.post(f"{API}/zoho/run")
    reset = synced.post(f"{API}/zoho/reset-cursor")
    exported = synced.get(f"{API}/zoho/assignments.csv", params={"after": 0})

    assert listed.status_code == 200 and [c["name"] for c in listed.json()] == ["zoho", "legacy"]
    assert "client_secret" not in listed.text and z.CLIENT_SECRET not in listed.text
    assert ran.status_code == 200, ran.text
    assert ran.json()["ran"] is True and ran.json()["counts"]["created"] == 3
    assert reset.json()["pull_cursor"] is None and reset.json()["links"] == 3
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:4] == ["assignment_id", "at", "customer_id", "external_id"]
    synced_rows = [r for r in rows[1:] if r[4] == "sync"]
    assert len(synced_rows) == 3 and all(r[3] in zoho.records for r in synced_rows)
    assert all(r[6] == "li" for r in synced_rows)
    assert_error(synced.post(f"{API}/nope/run"), 404, "not_found")
    assert_error(synced.post(f"{API}/legacy/run"), 422, "validation_failed", "connection")


def test_csv_cells_that_look_like_formulas_are_neutralised(app: Fenpei, synced: TestClient) -> None:
    log_in(synced)
    with app.uow() as uow:
        org.create_rep(
            uow=uow, fields={"name": "=HYPERLINK(1)", "email": "x@example.cn"}, actor=SYSTEM,
            now=app.now(),
        )  # fmt: skip
        uow.commit()
    _, plaintext = make_token(app, "sync:write")
    _send(app, synced, plaintext, _records(
        {"external_id": "+D-1", "owner_email": "x@example.cn", "fields": {"name": "甲"}},
    ))  # fmt: skip

    exported = synced.get(f"{API}/legacy/assignments.csv")

    last = list(csv.reader(io.StringIO(exported.text)))[-1]
    assert last[3] == "'+D-1" and last[6] == "'=HYPERLINK(1)"


def test_sync_page_shows_connections_and_sync_now_runs_in_chinese(
    app: Fenpei, synced: TestClient, zoho: z.ZohoServer
) -> None:
    log_in(synced)
    li = zoho.add_user("li@example.cn", "Li")
    zoho.add_record(li, Full_Name="王芳", Email="wf@example.cn")

    ran = synced.post("/admin/sync/zoho/run")
    page = synced.get(ran.headers["location"])

    assert ran.status_code == 303
    assert page.status_code == 200 and "CRM 同步" in page.text and "已同步 zoho" in page.text
    assert 'data-count="created">1<' in page.text
    assert "/api/v1/webhooks/sync/legacy" in page.text
    assert z.CLIENT_SECRET not in page.text and z.REFRESH_TOKEN not in page.text
