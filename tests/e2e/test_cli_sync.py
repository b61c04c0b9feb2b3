"""`fenpei sync` end to end, on SQLite and PostgreSQL, against the local Zoho server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from fenpei.bootstrap import bootstrap
from fenpei.config import Settings
from fenpei.domain.users import SYSTEM
from fenpei.services import org
from tests import _zoho_server as z
from tests.e2e.test_cli import cli_env as cli_env  # a fixture, shared
from tests.e2e.test_cli import run


@pytest.fixture
def crm(cli_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[z.ZohoServer]:
    server = z.ZohoServer().start()
    connections = [
        {
            "name": "zoho", "kind": "zoho", "accounts_url": server.url, "api_url": server.url,
            "client_id": z.CLIENT_ID, "client_secret": z.CLIENT_SECRET,
            "refresh_token": z.REFRESH_TOKEN,
        },
        {"name": "legacy", "kind": "bridge"},
    ]  # fmt: skip
    monkeypatch.setenv("FENPEI_SYNC_CONNECTIONS", json.dumps(connections))
    yield server
    server.stop()


def test_sync_run_status_and_reset_cursor(cli_env: str, crm: z.ZohoServer) -> None:
    assert run("db", "upgrade")[0] == 0
    fenpei = bootstrap(Settings(database_url=cli_env))
    with fenpei.uow() as uow:
        org.create_rep(
            uow=uow, fields={"name": "li", "email": "li@example.cn"}, actor=SYSTEM, now=fenpei.now()
        )
        uow.commit()
    fenpei.close()
    li = crm.add_user("li@example.cn", "Li")
    for i in range(3):
        crm.add_record(li, Full_Name=f"客户 {i}", Email=f"c{i}@example.cn")

    code, ran = run("sync", "run")
    status_code, status = run("sync", "status", "--json")
    reset_code, reset = run("sync", "reset-cursor", "zoho")
    table_code, table = run("sync", "status")

    assert code == 0, ran
    assert "zoho: 3 pulled, 3 created" in ran and "3 owner_changes" in ran
    assert status_code == 0, status
    listed = {c["name"]: c for c in json.loads(status)}
    assert listed["zoho"]["links"] == 3 and listed["zoho"]["pull_cursor"]
    assert listed["legacy"]["kind"] == "bridge" and listed["legacy"]["last_run_at"] is None
    assert reset_code == 0 and "zoho: the next run pulls every record again" in reset
    assert table_code == 0 and "zoho" in table and "legacy" in table
    assert z.CLIENT_SECRET not in status + table and z.REFRESH_TOKEN not in status + table


def test_sync_names_an_unknown_connection_and_a_crm_error(cli_env: str, crm: z.ZohoServer) -> None:
    assert run("db", "upgrade")[0] == 0
    crm.add_user("li@example.cn", "Li")
    crm.stop()  # the CRM is down

    unknown_code, unknown = run("sync", "run", "nope")
    reset_code, reset = run("sync", "reset-cursor", "nope")
    down_code, down = run("sync", "run", "zoho")

    assert unknown_code == 1 and "nope" in unknown and "Traceback" not in unknown
    assert reset_code == 1 and "nope" in reset
    assert down_code == 1 and "cannot connect" in down and "Traceback" not in down
