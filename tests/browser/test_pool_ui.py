"""公海 in Chromium, zh-CN, with screenshots: a rep claims a customer from the pool, sees it
in 我的客户, and returns it with a reason from its page."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from fenpei.adapters.db import tables as t
from fenpei.domain.users import SYSTEM
from fenpei.services.pool.terms import set_terms
from tests.browser.conftest import Live, login, shot


def test_a_rep_claims_from_the_pool_and_returns_the_customer(page: Page, live: Live) -> None:
    with live.fenpei.engine.begin() as connection:
        connection.execute(
            sa.update(t.customers)
            .where(t.customers.c.id == live.world.pool)
            .values(pool="public", owner_id=None, phone="13912345678", stage="contacted")
        )
    with live.fenpei.uow() as uow:
        set_terms(
            uow=uow,
            key="public",
            fields={"daily_claim_cap": 2, "cooldown_days": 7, "mask_contacts": True},
            actor=SYSTEM,
            now=live.fenpei.now(),
        )
        uow.commit()
    login(page, live, "rep", lang="zh-CN")
    page.get_by_role("link", name="公海", exact=True).click()
    row = page.locator(f'tr[data-customer="{live.world.pool}"]')
    expect(row).to_contain_text("Globex 北京")
    expect(row).to_contain_text("139****5678")
    expect(page.locator("#pool-terms")).to_contain_text("每人每天最多领取 2 个")
    shot(page, "pool-before-claim")

    with page.expect_navigation():
        row.get_by_role("button", name="领取 Globex 北京").click()
    expect(page.locator("p.notice")).to_contain_text("已领取 Globex 北京")
    expect(page.locator(f'tr[data-customer="{live.world.pool}"]')).to_have_count(0)
    shot(page, "pool-claimed")

    page.goto(live.url(f"/customers/{live.world.pool}"))
    expect(page.locator("dl.attributes").first).to_contain_text("Moses Frase")
    form = page.locator("form.return-to-pool")
    form.locator("#return-reason").select_option("unreachable")
    form.locator("#return-note").fill("电话是空号")
    form.get_by_role("button", name="退回公海").click()
    page.locator("#confirm-dialog").wait_for()
    shot(page, "pool-return-confirm")
    with page.expect_navigation():
        page.click("[data-confirm-ok]")
    expect(page.locator("p.notice")).to_contain_text("已退回公海")
    page.goto(live.url("/pool"))
    expect(page.locator(f'tr[data-customer="{live.world.pool}"]')).to_have_count(1)
    with page.expect_navigation():
        page.get_by_role("button", name="领取 Globex 北京").click()
    expect(page.locator("p.error")).to_contain_text("冷却期内不能领回")
    shot(page, "pool-cooldown-refused")
