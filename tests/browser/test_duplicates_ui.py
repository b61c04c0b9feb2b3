"""查重 in Chromium, zh-CN, with a screenshot: a rep of another team checks a phone on the
pool page and sees that the customer exists, who owns it and until when it is protected —
not its name."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from fenpei.domain.users import SYSTEM
from fenpei.services.pool.terms import set_terms
from tests.browser.conftest import Live, login, shot


def test_a_duplicate_check_shows_an_existing_protected_customer(page: Page, live: Live) -> None:
    with live.fenpei.uow() as uow:
        set_terms(
            uow=uow, key="public", fields={"protection_days": 30}, actor=SYSTEM,
            now=live.fenpei.now(),
        )  # fmt: skip
        uow.commit()
    login(page, live, "rep2", lang="zh-CN")
    page.get_by_role("link", name="公海", exact=True).click()
    box = page.locator("section.duplicate-check")
    box.get_by_label("电话").fill("+86 138 0013 8000")
    with page.expect_navigation():
        box.get_by_role("button", name="查重").click()

    found = page.locator("#duplicate-matches li")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("负责人：Moses Frase")
    expect(found).to_contain_text("保护期至")
    expect(found).to_contain_text("您权限外的一个客户")
    expect(found).not_to_contain_text("Acme")
    shot(page, "duplicate-check-protected")
