"""公海设置 in Chromium, zh-CN, with screenshots: an admin turns reclaim on for the public
pool with a per-level value, sees in the dry run which customer would be reclaimed and
why, and runs it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from fenpei.adapters.db import tables as t
from tests.browser.conftest import Live, login, shot


def test_an_admin_sets_reclaim_terms_and_reclaims_what_is_due(page: Page, live: Live) -> None:
    with live.fenpei.engine.begin() as connection:  # Acme (level A) was given 25 days ago
        connection.execute(
            sa.update(t.customers)
            .where(t.customers.c.id == live.world.acme)
            .values(assigned_at=live.fenpei.now() - timedelta(days=25))
        )
    login(page, live, "admin", lang="zh-CN")
    page.get_by_role("link", name="管理", exact=True).click()
    page.locator("nav.admin-tabs").get_by_role("link", name="公海设置", exact=True).click()
    terms = page.locator('section[data-pool="public"]')
    terms.get_by_label("启用自动回收").check()
    terms.get_by_label("多少天未跟进则回收", exact=True).fill("30")
    terms.get_by_label("A 级：多少天未跟进则回收").fill("20")
    terms.get_by_label("提前多少天提醒负责人").fill("3")
    shot(page, "pool-settings-reclaim-terms")
    with page.expect_navigation():
        terms.get_by_role("button", name="保存").click()
    expect(page.locator("p.notice")).to_contain_text("已保存公海 公共公海 的设置")

    with page.expect_navigation():
        page.locator("#reclaim-dry-run").click()
    row = page.locator(f'#reclaim-plan tr[data-customer="{live.world.acme}"]')
    expect(row).to_contain_text("Acme 上海")
    expect(row).to_contain_text("20 天未跟进（A 级客户）")
    expect(row).to_contain_text("Moses Frase")
    shot(page, "pool-settings-dry-run")

    page.locator("#reclaim-run-now").click()
    page.locator("#confirm-dialog").wait_for()
    with page.expect_navigation():
        page.click("[data-confirm-ok]")
    expect(page.locator("p.notice")).to_contain_text("已回收 1 个客户")
    shot(page, "pool-settings-reclaimed")
    with live.fenpei.engine.connect() as connection:
        owner = connection.scalar(
            sa.select(t.customers.c.owner_id).where(t.customers.c.id == live.world.acme)
        )
    assert owner is None
