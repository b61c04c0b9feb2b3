"""跟进记录 in Chromium, zh-CN, with screenshots: a rep logs a follow-up from the customer
page and sees it at the top of the timeline, the customer now contacted, then corrects it
(更正) there."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live, login, shot


def test_a_rep_logs_a_follow_up_and_sees_it_on_top_of_the_timeline(page: Page, live: Live) -> None:
    login(page, live, "rep", lang="zh-CN")
    page.goto(live.url(f"/customers/{live.world.acme}"))
    form = page.locator("form.follow-up-form")
    expect(form).to_contain_text("写跟进记录")
    form.locator("#fu-kind").select_option("visit")
    form.locator("#fu-content").fill("上门拜访，见了采购经理")
    form.locator("#fu-outcome").fill("下周报价")
    form.locator("#fu-next").fill("2099-01-05T10:00")
    shot(page, "follow-up-form")

    with page.expect_navigation():
        form.get_by_role("button", name="保存跟进").click()

    expect(page.locator("#timeline p.notice")).to_contain_text("跟进记录已保存")
    first = page.locator("#timeline li.timeline-item").first
    expect(first).to_have_class("timeline-item timeline-follow_up")
    expect(first).to_contain_text("上门拜访，见了采购经理")
    expect(first).to_contain_text("拜访")
    expect(first).to_contain_text("下次跟进：2099-01-05 10:00")
    shot(page, "follow-up-timeline")

    first.locator("summary", has_text="更正").click()
    correction = first.locator("details.follow-up-correction form")
    expect(correction).to_contain_text("跟进时间不可更改")
    correction.get_by_label("跟进内容").fill("上门拜访，见了采购经理和财务")
    shot(page, "follow-up-correction")
    with page.expect_navigation():
        correction.get_by_role("button", name="保存更正").click()

    expect(page.locator("#timeline p.notice")).to_contain_text("跟进记录已更正")
    first = page.locator("#timeline li.timeline-item").first
    expect(first).to_contain_text("上门拜访，见了采购经理和财务")
    expect(first.locator(".edited")).to_contain_text("已更正于")
    shot(page, "follow-up-corrected")
