"""评分 in Chromium, zh-CN, with screenshots (scoring-1…): the admin builds a scorecard line
in the rule condition builder (checked as typed), sees the versions and a learned model's
metrics against its baselines, sets the grades, and the customer page and list show the
grade, points, probability and why."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from fenpei.domain.scoring import ModelKind
from fenpei.domain.users import SYSTEM
from fenpei.services.scoring import models
from fenpei.services.scoring.rescore import rescore_stale
from tests.browser.conftest import Live, login, shot


def _learned_model(live: Live) -> None:
    fenpei = live.fenpei
    with fenpei.uow() as uow:
        model = models.add_version(
            uow=uow, actor=SYSTEM, kind=ModelKind.score, name="逻辑回归 2026-12", now=fenpei.now(),
            params={"algorithm": "prior", "p": 0.42},
            metrics={"auc": 0.781, "brier": 0.162, "rows": 6711, "test_rows": 1678,
                     "baselines": {"naive_bayes": {"auc": 0.702, "brier": 0.181},
                                   "logistic": {"auc": 0.744, "brier": 0.171}}},
        )  # fmt: skip
        uow.commit()
    assert model.id is not None


def test_an_admin_builds_a_scorecard_sets_grades_and_the_customer_shows_why(
    page: Page, live: Live
) -> None:
    login(page, live, "admin", lang="zh-CN")
    page.goto(live.url("/admin/scoring"))
    expect(page.locator("h1")).to_have_text("评分模型与等级")
    page.get_by_role("link", name="编辑打分卡").click()

    editor = page.locator("#rule-form")
    builder = page.locator("#condition-builder")
    # The builder's buttons are drawn by the page's script: once they show, typing is
    # checked (typed before the script ran, nothing would listen).
    expect(builder.get_by_role("button", name="条件").first).to_be_visible()
    editor.get_by_label("名称", exact=True).fill("华东客户")
    points = editor.get_by_label("分值", exact=True)
    points.fill("很多")
    # Checked by the server as typed: generous, a loaded CI machine answers slowly.
    expect(editor.locator('[data-error-for="points"]')).to_be_visible(timeout=20_000)
    points.fill("35")
    builder.get_by_role("button", name="条件").first.click()
    first = builder.locator('.condition[data-path="conditions.all[0]"]')
    first.locator("select").first.select_option("region")
    first.locator(".value input").fill("East")
    expect(page.locator("#conditions-words")).to_contain_text("East", timeout=20_000)
    expect(editor).to_have_attribute("data-valid", "true", timeout=20_000)
    shot(page, "scoring-1-scorecard-line")
    with page.expect_navigation():
        editor.get_by_role("button", name="保存规则（生成新版本）").click()
    expect(page.locator("#done")).to_contain_text("已保存为第 1 版")
    expect(page.locator('tr[data-line="0"]')).to_contain_text("+35")
    shot(page, "scoring-2-scorecard-saved")

    _learned_model(live)
    page.goto(live.url("/admin/scoring"))
    learned = page.locator('section[data-kind="score"] tr[data-version="1"]')
    expect(learned).to_contain_text("0.781")
    expect(learned).to_contain_text("naive_bayes")
    with page.expect_navigation():
        learned.get_by_role("button", name="启用").click()
    expect(page.locator("#done")).to_contain_text("已启用")
    form = page.locator("#grade-settings")
    form.get_by_label("定级依据").select_option("win_probability")
    form.get_by_label("A 级最低").fill("40")
    form.get_by_label("B 级最低").fill("20")
    form.get_by_label("C 级最低").fill("30")
    with page.expect_navigation():
        form.get_by_role("button", name="保存").click()
    expect(page.locator("#grade-e-C")).to_be_visible()
    form.get_by_label("C 级最低").fill("10")
    with page.expect_navigation():
        form.get_by_role("button", name="保存").click()
    expect(page.locator("#done")).to_contain_text("等级设置已保存")
    shot(page, "scoring-3-versions-and-grades")

    rescore_stale(uow_factory=live.fenpei.uow, now=live.fenpei.now)
    page.goto(live.url(f"/customers/{live.world.acme}"))
    card = page.locator("#scoring")
    expect(card).to_contain_text("A")
    expect(card).to_contain_text("42%")
    expect(card).to_contain_text("华东客户 +35 分")
    expect(card).to_contain_text("基础成交率 42%")
    shot(page, "scoring-4-customer-why")
    page.goto(live.url("/customers"))
    expect(page.locator("td.score-column").first).to_contain_text("42%")
    shot(page, "scoring-5-customer-list")
