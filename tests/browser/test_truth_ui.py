"""Screens that tell the truth, in Chinese (issue 12, item 3): a rep on leave shows 休假中 and
routing gives them nothing; merging a category value a rule tests carries the rule to a new
version, and retiring one refuses with the rule named."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from fenpei.domain.users import SYSTEM
from fenpei.services import org, rules
from tests.browser.conftest import Live, login, shot


def _send_on_leave(live: Live, rep_id: int) -> None:
    now = live.fenpei.now()
    with live.fenpei.uow() as uow:
        org.add_leave(
            uow=uow,
            rep_id=rep_id,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=3),
            actor=SYSTEM,
            now=now,
            note="年假",
        )
        uow.commit()


def _rule_on_level(live: Live, name: str, code: str) -> int:
    with live.fenpei.uow() as uow:
        rule = rules.create_rule(
            uow=uow,
            fields={
                "name": name,
                "priority": 5,
                "conditions": {"all": [{"field": "level", "op": "eq", "value": code}]},
                "target": {"kind": "team", "team_id": live.world.team_west},
            },
            actor=SYSTEM,
            now=live.fenpei.now(),
        )
        uow.commit()
        assert rule.id is not None
        return rule.id


def test_a_rep_on_leave_shows_on_leave_and_gets_none_of_the_new_customers(
    page: Page, live: Live
) -> None:
    darcel = live.world.darcel
    _send_on_leave(live, darcel)
    login(page, live, "admin", lang="zh-CN")
    page.goto(live.url("/teams"))
    row = page.locator("table.reps tr", has=page.locator(f'a[href="/reps/{darcel}"]'))
    expect(row.locator("[data-status]")).to_have_text("休假中")
    moses = page.locator("table.reps tr", has=page.locator(f'a[href="/reps/{live.world.moses}"]'))
    expect(moses.locator("[data-status]")).to_have_text("可接单")
    shot(page, "truth-rep-on-leave-teams")

    # Three East customers through the new-customer form: the East rule round-robins over
    # Moses and Darcel, and every one goes to Moses, the explanation naming Darcel's leave.
    for number in range(3):
        page.goto(live.url("/customers/new"))
        page.locator("#n-name").fill(f"华东新客户 {number}")
        page.locator("#n-region").fill("East")
        with page.expect_navigation():
            page.get_by_role("button", name="创建并分配").click()
        expect(page.locator("li.assignment").first).to_contain_text("→ Moses Frase")
        why = page.locator("ul.explanation").first
        expect(why).to_contain_text("Darcel Schlecht")
        expect(why).to_contain_text("休假")
    shot(page, "truth-rep-on-leave-explained")
    page.goto(live.url(f"/customers?owner={darcel}"))
    expect(page.locator("body")).not_to_contain_text("华东新客户")


def test_merging_a_level_a_rule_tests_carries_the_rule_and_retiring_one_is_refused(
    page: Page, live: Live
) -> None:
    carried = _rule_on_level(live, "C 级客户给华西", "C")
    blocking = _rule_on_level(live, "D 级客户给华西", "D")
    login(page, live, "admin", lang="zh-CN")
    page.goto(live.url("/categories"))
    row_c = page.locator('#cat-level tr[data-code="C"]')
    row_c.locator("details summary", has_text="合并").click()
    row_c.locator('select[name="into"]').select_option("B")
    row_c.get_by_role("button", name="合并").click()
    page.locator("#confirm-dialog").wait_for()
    with page.expect_navigation():
        page.click("[data-confirm-ok]")
    notice = page.locator("p.notice")
    expect(notice).to_contain_text("已合并")
    expect(notice).to_contain_text("C 级客户给华西")
    shot(page, "truth-category-merge-carried")

    with page.expect_navigation():
        notice.get_by_role("link", name="C 级客户给华西").click()
    assert page.url.endswith(f"/rules/{carried}/versions#version-2")
    latest = page.locator("#version-2")
    expect(latest).to_contain_text("随分类合并自动更新")
    expect(latest.locator("td.conditions")).to_contain_text("B")
    shot(page, "truth-category-merge-rule-version")

    page.goto(live.url("/categories"))
    row_d = page.locator('#cat-level tr[data-code="D"]')
    row_d.get_by_role("button", name="停用").click()
    page.locator("#confirm-dialog").wait_for()
    with page.expect_navigation():
        page.click("[data-confirm-ok]")
    error = page.locator('#cat-level tr[data-code="D"] .field-error')
    expect(error).to_contain_text("1 条规则")
    expect(error.get_by_role("link")).to_have_attribute("href", f"/rules/{blocking}/versions")
    expect(page.locator('#cat-level tr[data-code="D"]')).to_contain_text("使用中")
    shot(page, "truth-category-retire-refused")
