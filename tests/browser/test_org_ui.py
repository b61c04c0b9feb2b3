"""Teams, a rep's profile and its forms, and categories, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Live, login, shot


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_teams_tree_shows_east_and_west(page: Page, live: Live, lang: str) -> None:
    login(page, live, "admin", lang=lang)
    page.goto(live.url("/teams"))
    headings = page.locator("ul.tree .team h2").all_text_contents()
    assert "East 华东" in headings and "West 华西" in headings
    assert page.get_by_role("link", name="Moses Frase").count() == 1
    shot(page, "teams")


def test_manager_edits_capacity_with_an_inline_error_first(page: Page, live: Live) -> None:
    login(page, live, "manager")
    page.goto(live.url(f"/reps/{live.world.moses}"))
    page.fill("#f-max_open", "-1")
    with page.expect_navigation():
        page.click("#save-rep")
    error = page.locator("#e-max_open")
    assert "whole number" in (error.text_content() or "")
    assert page.locator("#f-max_open").get_attribute("aria-invalid") == "true"
    assert page.locator("#f-max_open").input_value() == "-1"  # kept as typed
    page.fill("#f-max_open", "12")
    with page.expect_navigation():
        page.click("#save-rep")
    assert "saved=profile" in page.url
    assert page.locator("#f-max_open").input_value() == "12"
    assert page.locator("#e-max_open").count() == 0


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_rep_profile_screenshot(page: Page, live: Live, lang: str) -> None:
    login(page, live, "admin", lang=lang)
    page.goto(live.url(f"/reps/{live.world.moses}"))
    page.locator("#edit-title").wait_for()
    shot(page, "rep-profile")


def test_rep_toggles_their_own_away_switch(page: Page, live: Live) -> None:
    login(page, live, "rep")
    page.goto(live.url(f"/reps/{live.world.moses}"))
    assert page.locator("#edit-title").count() == 0  # a rep edits nothing else
    with page.expect_navigation():
        page.click("#away-toggle")
    assert page.locator(".status-line .badge.warn").count() == 1
    with page.expect_navigation():
        page.click("#away-toggle")
    assert page.locator(".status-line .badge.ok").count() == 1


def test_manager_adds_and_deletes_a_leave_after_confirming(page: Page, live: Live) -> None:
    login(page, live, "manager")
    page.goto(live.url(f"/reps/{live.world.darcel}"))
    page.fill("#f-starts_at", "2031-03-02T09:00")
    page.fill("#f-ends_at", "2031-03-01T09:00")
    with page.expect_navigation():
        page.click("#add-leave")
    assert page.locator("#e-ends_at").count() == 1
    page.fill("#f-ends_at", "2031-03-03T18:00")
    page.fill("#f-note", "<b>trip</b> 出差")
    with page.expect_navigation():
        page.click("#add-leave")
    rows = page.locator("table.leaves tbody tr")
    assert rows.count() == 1 and "<b>trip</b> 出差" in (rows.text_content() or "")
    # Cancel in the dialog (Esc) keeps it; confirming deletes it.
    rows.get_by_role("button").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-cancel]")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert rows.count() == 1
    rows.get_by_role("button").click()
    with page.expect_navigation():
        page.click("[data-confirm-ok]")
    assert page.locator("table.leaves").count() == 0


def test_categories_rename_and_merge_with_confirm(page: Page, live: Live) -> None:
    login(page, live, "admin")
    page.goto(live.url("/categories"))
    level = page.locator("#cat-level")
    row_a = level.locator('tr[data-code="A"]')
    row_a.get_by_text("Rename").click()
    row_a.locator('input[name="label"]').fill("")
    with page.expect_navigation():
        row_a.get_by_role("button", name="Save").click()
    assert page.locator("#cat-level tr[data-code='A'] .field-error").count() == 1
    row_a = page.locator('#cat-level tr[data-code="A"]')
    row_a.locator('input[name="label"]').fill("Gold 金牌")
    with page.expect_navigation():
        row_a.get_by_role("button", name="Save").click()
    assert "Gold 金牌" in (
        page.locator('#cat-level tr[data-code="A"] td.label').text_content() or ""
    )
    row_c = page.locator('#cat-level tr[data-code="C"]')
    row_c.get_by_text("Merge", exact=True).first.click()
    row_c.locator('select[name="into"]').select_option("B")
    row_c.get_by_role("button", name="Merge").click()
    page.locator("#confirm-dialog").wait_for()
    with page.expect_navigation():
        page.click("[data-confirm-ok]")
    assert "Merged" in (page.locator('#cat-level tr[data-code="C"]').text_content() or "")
    shot(page, "categories")


def test_categories_in_chinese_and_read_only_for_a_manager(page: Page, live: Live) -> None:
    login(page, live, "admin", lang="zh-CN")
    page.goto(live.url("/categories"))
    shot(page, "categories")
    page.context.clear_cookies()
    login(page, live, "manager")
    page.goto(live.url("/categories"))
    assert page.locator("form[action$='/rename']").count() == 0
