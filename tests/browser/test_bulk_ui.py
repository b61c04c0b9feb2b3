"""Bulk work at volume in a real browser, in Chinese: the admin filters the customer list,
chooses a page size, finds reps in the searchable picker (team, load, status on each), and
spreads all 320 matching customers over three reps with one confirmation; the result shows
how many each rep got, and the database agrees.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from playwright.sync_api import Page, expect

from fenpei.domain.users import SYSTEM
from fenpei.services.customers import create_customer
from fenpei.services.ports import CustomerQuery
from tests.browser.conftest import Live, login, shot

MATCHING = 320
NAME = "华南客户"


def _seed_matching(live: Live) -> None:
    """320 unowned customers whose names contain 华南客户 (the filter), and a few others."""
    start = live.fenpei.now() - timedelta(days=1)
    with live.fenpei.uow() as uow:
        for i in range(MATCHING):
            create_customer(
                uow=uow,
                fields={"name": f"{NAME} {i:03d}", "region": "South"},
                actor=SYSTEM,
                now=start + timedelta(seconds=i),
            )
        for i in range(5):
            create_customer(uow=uow, fields={"name": f"华北客户 {i}"}, actor=SYSTEM, now=start)
        uow.commit()


def _owners_of_matching(live: Live) -> Counter[int | None]:
    with live.fenpei.uow() as uow:
        found, total = uow.customers.search(CustomerQuery(text=NAME, limit=500))
    assert total == MATCHING
    return Counter(c.owner_id for c in found)


def test_the_admin_spreads_all_320_matching_customers_over_three_reps_in_one_confirm(
    live: Live, page: Page
) -> None:
    _seed_matching(live)
    world = live.world
    login(page, live, "admin", lang="zh-CN")
    page.goto(live.url("/customers"))

    # Filter: the list answers with the count, 25 rows a page; then 100 a page.
    # Typed, then Tab: one change event filters (htmx). Enter as well could send a second
    # request whose late answer would undo the page size chosen below.
    page.get_by_label("搜索", exact=True).fill(NAME)
    page.get_by_label("搜索", exact=True).press("Tab")
    expect(page.locator(".summary")).to_have_text(f"共 {MATCHING} 个客户")
    expect(page.locator("table.customers tbody tr")).to_have_count(25)
    page.locator(".page-size").get_by_role("link", name="100 条").click()
    expect(page.locator("table.customers tbody tr")).to_have_count(100)
    assert "per_page=100" in page.url and "q=" in page.url
    shot(page, "bulk-filtered")

    # The picker: every option reads name · team · load · status; typing narrows it.
    page.get_by_label("操作").select_option("spread")
    picker = page.locator("#bulk-reps")
    expect(picker.locator("option", has_text="Rosie Papadopoulos")).to_contain_text(
        "West 华西 · 负载"
    )
    expect(picker.locator("option", has_text="Moses Frase")).to_contain_text("可接单")
    finder = page.get_by_role("searchbox", name="查找销售").last
    finder.fill("华东")
    expect(picker.locator("option:not([hidden])")).to_have_count(2)
    finder.fill("")
    expect(picker.locator("option:not([hidden])")).to_have_count(3)
    picker.select_option([str(world.moses), str(world.darcel), str(world.rosie)])
    shot(page, "bulk-picker")

    # All matching, not the ticked rows: one confirmation states the count and the reps.
    page.get_by_role("button", name=f"选择全部 {MATCHING} 个符合筛选条件的客户…").click()
    dialog = page.locator("#owner-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-matching-summary]")).to_have_text(
        f"全部 {MATCHING} 个符合条件的客户 → 平均分给 3 名销售："
        "Darcel Schlecht、Moses Frase、Rosie Papadopoulos"
    )
    expect(dialog.locator(".matching-filter")).to_contain_text(NAME)
    shot(page, "bulk-confirm")
    assert _owners_of_matching(live) == {None: MATCHING}  # nothing changed before the confirm

    dialog.get_by_role("button", name=f"确认分配 {MATCHING} 个客户").click()

    # Generous: 320 customers locked, recorded and audited in one transaction on a busy box.
    expect(dialog.locator("[data-matching-done]")).to_have_text(
        f"已分配 {MATCHING} 个客户。", timeout=30_000
    )
    result = dialog.locator(".matching-result tbody tr")
    expect(result).to_have_count(3)
    shown = {
        result.nth(i).locator("td").nth(0).inner_text(): int(
            result.nth(i).locator("td").nth(1).inner_text()
        )
        for i in range(3)
    }
    assert sorted(shown.values()) == [106, 107, 107]
    shot(page, "bulk-done")

    owners = _owners_of_matching(live)
    assert owners == {
        world.moses: shown["Moses Frase"],
        world.darcel: shown["Darcel Schlecht"],
        world.rosie: shown["Rosie Papadopoulos"],
    }

    # Closing the result (Esc) reloads the list: the filter still matches them, owned now.
    expect(dialog.get_by_role("link", name="返回客户列表")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".summary")).to_have_text(f"共 {MATCHING} 个客户")
    expect(page.locator("table.customers tbody")).not_to_contain_text("公海")
