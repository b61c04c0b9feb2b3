"""查重合并 in Chromium, zh-CN, with screenshots: an admin scans for duplicates, reviews a
pair with its reasons, merges the two customers choosing a field from the other one (the
owner rule shown before), sees the merge in the history, and undoes it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from fenpei.domain.users import SYSTEM
from fenpei.services.customers import create_customer
from tests.browser.conftest import Live, login, shot


def _confirm(page: Page) -> None:
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    with page.expect_navigation():
        dialog.locator("[data-confirm-ok]").click()


def test_admin_reviews_a_pair_merges_two_duplicates_and_undoes_it(page: Page, live: Live) -> None:
    with live.fenpei.uow() as uow:
        first = create_customer(
            uow=uow, actor=SYSTEM, now=live.fenpei.now(),
            fields={"name": "王建国", "company_name": "北京星辰科技有限公司",
                    "phone": "138 0013 9000", "city": "北京"},
        )  # fmt: skip
        second = create_customer(
            uow=uow, actor=SYSTEM, now=live.fenpei.now(),
            fields={"name": "王建国（重复）", "company_name": "北京星辰科技",
                    "phone": "+86 138-0013-9000", "email": "wang@xingchen.cn"},
        )  # fmt: skip
        uow.commit()
    login(page, live, "admin", lang="zh-CN")
    page.locator("#nav-dedupe").click()
    expect(page.locator("h1")).to_have_text("重复客户")
    with page.expect_navigation():
        page.locator("#dedupe-scan").click()
    expect(page.locator("#dedupe-scanned")).to_contain_text("扫描完成")
    row = page.locator("tr[data-pair]").filter(has_text="王建国（重复）")
    expect(row).to_contain_text("电话相同")
    expect(row).to_contain_text("公司名相同")
    shot(page, "dedupe-1-pairs")

    row.get_by_role("link", name="核对合并").click()
    expect(page.locator("h1")).to_have_text("合并客户")
    expect(page.locator("#dedupe-owner")).to_contain_text("双方都没有负责人")
    # The survivor has no email: the other's is chosen already; take its name too.
    expect(page.locator('tr[data-field="email"] input[value="loser"]')).to_be_checked()
    page.locator('tr[data-field="name"] input[value="loser"]').check()
    shot(page, "dedupe-2-merge")
    page.locator("#dedupe-merge-submit").click()
    _confirm(page)
    expect(page.locator("#dedupe-done")).to_contain_text("已合并")
    merge_row = page.locator("tr[data-merge]").first
    expect(merge_row).to_contain_text("王建国（重复）")
    shot(page, "dedupe-3-history")

    page.goto(live.url(f"/customers/{first.id}"))
    expect(page.locator("h1")).to_contain_text("王建国（重复）")
    expect(page.locator("main")).to_contain_text("wang@xingchen.cn")
    response = page.goto(live.url(f"/customers/{second.id}"))
    assert response is not None and response.status == 404  # merged away: hidden

    # Undone from the audit log: the merge's entry leads to it in the merge history.
    page.goto(live.url("/admin/audit?object_type=customer_merge"))
    entry = page.locator('tr[data-action="customer.merge"]')
    expect(entry).to_contain_text("合并客户")
    shot(page, "dedupe-4-audit")
    entry.get_by_role("link", name="在合并记录中撤销").click()
    merge_row.get_by_role("button", name="撤销").click()
    _confirm(page)
    expect(page.locator("#dedupe-undone")).to_contain_text("已撤销")
    expect(page.locator("tr[data-merge]").first).to_contain_text("已由")
    shot(page, "dedupe-5-undone")
    page.goto(live.url(f"/customers/{second.id}"))
    expect(page.locator("h1")).to_contain_text("王建国（重复）")
