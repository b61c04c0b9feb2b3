"""Backups over HTTP, on SQLite and PostgreSQL: the admins' page (备份) and API — the list,
"back up now", the download (streamed, audited) — and what everyone else is refused."""

from __future__ import annotations

import re
import tarfile
from io import BytesIO

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from tests.e2e import _inbox
from tests.e2e.test_web import text_of


@pytest.fixture
def world(app: Fenpei) -> _inbox.InboxWorld:
    return _inbox.build(app)


@pytest.fixture
def admin(app: Fenpei, world: _inbox.InboxWorld) -> TestClient:
    return _inbox.signed_in(app, world, "admin")


def _audited(app: Fenpei, action: str) -> list[tuple[str, str]]:
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(tables.audit_log.c.actor, tables.audit_log.c.object_id).where(
                tables.audit_log.c.object_type == "backupentry",
                tables.audit_log.c.action == action,
            )
        )
        return [(r.actor, r.object_id) for r in rows]


def test_back_up_now_lists_the_verified_backup_and_downloads_it_audited(
    app: Fenpei, admin: TestClient
) -> None:
    empty = admin.get("/admin/backups")
    assert empty.status_code == 200
    assert "还没有备份。" in text_of(empty.text) and "如何恢复" in text_of(empty.text)

    made = admin.post("/admin/backups/run")
    assert made.status_code == 303, made.text
    name = made.headers["location"].split("made=")[1]
    assert re.fullmatch(r"fenpei-20261102-093000-manual\.tar\.gz", name)
    page = admin.get(made.headers["location"]).text
    row = re.search(rf'<tr data-backup="{re.escape(name)}">.*?</tr>', page, re.S)
    assert row is not None
    assert "手动" in text_of(row.group(0)) and 'data-verified="yes"' in row.group(0)
    assert "已生成备份" in text_of(page) and "已读回校验，与清单一致。" in text_of(page)
    assert _audited(app, "create") == [("admin", name)]

    download = admin.get(f"/admin/backups/{name}/download")

    assert download.status_code == 200
    assert download.headers["content-type"] == "application/gzip"
    assert download.content == (app.settings.backup_dir / name).read_bytes()
    with tarfile.open(fileobj=BytesIO(download.content), mode="r:gz") as tar:
        assert tar.getnames()[0] == "manifest.json"
    assert _audited(app, "download") == [("admin", name)]


def test_the_api_lists_makes_and_streams_backups_for_admins(app: Fenpei, admin: TestClient) -> None:
    made = admin.post("/api/v1/backups")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["kind"] == "manual" and body["verified"] is True and body["problem"] == ""
    assert body["database_kind"] == ("sqlite" if app.settings.is_sqlite else "postgresql")

    listed = admin.get("/api/v1/backups").json()
    assert [b["name"] for b in listed] == [body["name"]]
    download = admin.get(f"/api/v1/backups/{body['name']}")
    assert download.status_code == 200 and download.content[:2] == b"\x1f\x8b"
    assert admin.get("/api/v1/backups/fenpei-20261102-093000-daily.tar.gz").status_code == 404
    assert admin.get("/api/v1/backups/..%2Fsecret.tar.gz").status_code in (404, 422)


@pytest.mark.parametrize("username", ["manager", "auditor", "moses"])
def test_only_admins_see_make_or_download_backups(
    app: Fenpei, world: _inbox.InboxWorld, admin: TestClient, username: str
) -> None:
    name = admin.post("/api/v1/backups").json()["name"]
    other = _inbox.signed_in(app, world, username)

    assert other.get("/admin/backups").status_code == 403
    assert other.post("/admin/backups/run").status_code == 403
    assert other.get(f"/admin/backups/{name}/download").status_code == 403
    assert other.get("/api/v1/backups").status_code == 403
    assert other.post("/api/v1/backups").status_code == 403
    assert other.get(f"/api/v1/backups/{name}").status_code == 403
    assert len(list(app.settings.backup_dir.glob("fenpei-*.tar.gz"))) == 1
    assert _audited(app, "download") == []


def test_the_admin_tabs_link_the_backups_page(admin: TestClient) -> None:
    page = admin.get("/admin/teams").text
    assert 'href="/admin/backups"' in page and "备份" in text_of(page)
