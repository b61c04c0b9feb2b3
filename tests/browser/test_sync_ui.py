"""CRM sync's admin page in a real browser: the connections, "sync now" against the local
Zoho server, and what the run did — in zh-CN (and English)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from fenpei.config import SyncConnection, SyncKind
from fenpei.domain.users import SYSTEM
from fenpei.services import org
from tests import _zoho_server as z
from tests.browser.conftest import Live, login, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page


@pytest.fixture(scope="module", autouse=True)
def crm(live: Live) -> Iterator[z.ZohoServer]:
    """A Zoho CRM with six leads owned by two users who are reps here, and a bridge."""
    server = z.ZohoServer().start()
    fenpei = live.fenpei
    fenpei.settings.sync_connections = [
        SyncConnection(
            name="zoho", kind=SyncKind.zoho, accounts_url=server.url, api_url=server.url,
            client_id=z.CLIENT_ID, client_secret=z.CLIENT_SECRET, refresh_token=z.REFRESH_TOKEN,
        ),
        SyncConnection(name="legacy-crm", kind=SyncKind.bridge, module="Accounts"),
    ]  # fmt: skip
    with fenpei.uow() as uow:
        for name, email in (("同步 李娜", "lina@example.cn"), ("同步 王强", "wq@example.cn")):
            org.create_rep(
                uow=uow, fields={"name": name, "email": email}, actor=SYSTEM, now=fenpei.now()
            )
        uow.commit()
    lina, wq = (
        server.add_user("lina@example.cn", "Li Na"),
        server.add_user("wq@example.cn", "Wang Qiang"),
    )
    for i, owner in enumerate([lina, lina, lina, wq, wq, wq]):
        server.add_record(
            owner,
            Full_Name=f"浙江客户 {i}",
            Company=f"杭州公司 {i}",
            City="杭州",
            Email=f"zj{i}@example.cn",
        )
    yield server
    server.stop()


def test_an_admin_syncs_now_and_reads_what_came_in(page: Page, live: Live) -> None:
    login(page, live, "admin", lang="zh-CN")
    page.goto(live.url("/admin/sync"))

    expect(page.locator("h1")).to_have_text("CRM 同步")
    zoho = page.locator('tr[data-connection="zoho"]')
    expect(zoho).to_contain_text("尚未拉取")
    expect(page.locator('tr[data-connection="legacy-crm"]')).to_contain_text(
        "/api/v1/webhooks/sync/legacy-crm"
    )
    shot(page, "sync-before")

    with page.expect_navigation():
        zoho.get_by_role("button", name="立即同步").click()

    expect(page.locator("#sync-ran")).to_have_text("已同步 zoho。")
    expect(zoho.locator('[data-count="created"]')).to_have_text("6")
    expect(zoho.locator('[data-count="owner_changes"]')).to_have_text("6")
    expect(zoho.locator("td").nth(2)).to_have_text("6")  # linked records
    expect(page.locator('nav.admin-tabs a[href="/admin/sync"]')).to_have_attribute(
        "aria-current", "page"
    )
    shot(page, "sync-after")


def test_the_page_reads_in_english_too(page: Page, live: Live) -> None:
    login(page, live, "admin", lang="en")
    page.goto(live.url("/admin/sync"))

    expect(page.locator("h1")).to_have_text("CRM sync")
    expect(
        page.locator('tr[data-connection="zoho"]').get_by_role("button", name="Sync zoho now")
    ).to_be_visible()
    shot(page, "sync")
