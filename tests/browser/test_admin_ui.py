"""Administration in a real browser, in zh-CN: an admin sets up a team, a rep in it and a
login for that rep, who then changes the one-time password and works their customers; an
API token made, its secret shown once, revoked; the audit log filtered by who did it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live, login, shot

NEW_PASSWORD = "新的密码 correct horse"


def _confirm(page: Page) -> None:
    """Press 确定 in the page's confirm dialog and wait for the page it leads to."""
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    with page.expect_navigation():
        dialog.locator("[data-confirm-ok]").click()


def test_admin_sets_up_a_team_rep_and_user_who_logs_in_and_sees_my_customers(
    page: Page, live: Live
) -> None:
    login(page, live, "admin", lang="zh-CN")
    page.locator("#nav-admin").click()
    expect(page.locator("h1")).to_have_text("团队管理")

    page.fill("#f-name", "华南团队")
    page.select_option("#f-parent_id", label="East 华东")
    with page.expect_navigation():
        page.click("#create-team")
    expect(page.locator("#done")).to_have_text("团队已创建。")
    expect(page.locator('tr[data-team="华南团队"]')).to_have_count(1)
    shot(page, "admin-1-team-created")

    page.locator(".admin-tabs").get_by_role("link", name="销售").click()
    page.fill("#f-name", "林小华")
    page.fill("#f-email", "lin@example.com")
    page.select_option("#f-team_id", label="— 华南团队")
    page.fill("#f-max_open", "-5")
    with page.expect_navigation():
        page.click("#create-rep")
    expect(page.locator("#e-max_open")).to_have_text(
        "请输入 0 到 1,000,000 之间的整数，或留空表示不限。"
    )
    expect(page.locator("#f-name")).to_have_value("林小华")  # the form as typed
    shot(page, "admin-2-rep-form-error")
    page.fill("#f-max_open", "40")
    page.fill("#f-skill_languages", "中文, 粤语")
    with page.expect_navigation():
        page.click("#create-rep")
    expect(page.locator("#done")).to_contain_text("销售已创建")
    expect(page.locator('tr[data-rep="林小华"]')).to_contain_text("华南团队")
    shot(page, "admin-3-rep-created")

    page.click("#new-user-for-rep")
    expect(page.locator("#f-rep_id option:checked")).to_have_text("林小华")
    page.fill("#f-username", "linxh")
    with page.expect_navigation():
        page.click("#create-user")
    expect(page.locator("#one-time-title")).to_have_text("用户“linxh”已创建")
    one_time = page.locator("#one-time-value").input_value()
    assert len(one_time) >= 10
    expect(page.locator('tr[data-user="linxh"]')).to_contain_text("待修改初始密码")
    shot(page, "admin-4-user-created-one-time-password")

    page.locator("form.logout button").click()
    _confirm(page)
    assert "/login" in page.url

    page.locator('input[name="username"]').fill("linxh")
    page.locator('input[name="password"]').fill(one_time)
    with page.expect_navigation():
        page.locator('form[action="/login"] [type="submit"]').click()
    assert "/account/password" in page.url  # made to change it first
    shot(page, "admin-5-must-change-password")
    page.fill('input[name="current_password"]', one_time)
    page.fill('input[name="new_password"]', NEW_PASSWORD)
    page.fill('input[name="new_password_again"]', NEW_PASSWORD)
    with page.expect_navigation():
        page.locator('main form [type="submit"]').click()
    page.get_by_role("link", name="我的客户").click()
    expect(page.locator("h1")).to_have_text("我的客户")
    expect(page.locator("#nav-my-profile")).to_have_text("我的资料")
    shot(page, "admin-6-new-rep-sees-my-customers")


def test_a_token_is_shown_once_copied_revoked_and_the_audit_log_shows_it(
    page: Page, live: Live
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, live, "admin", lang="zh-CN")
    page.goto(live.url("/admin/tokens"))
    page.fill("#f-name", "官网表单")
    page.check("#scope-leads-write")
    page.check("#scope-customers-read")
    with page.expect_navigation():
        page.click("#create-token")
    secret = page.locator("#token-secret-value").input_value()
    assert secret.startswith("fp_")
    page.click("#token-secret-copy")
    expect(page.locator("#token-secret-copy")).to_have_text("已复制")
    row = page.locator('tr[data-token="官网表单"]')
    expect(row).to_contain_text("leads:write")
    expect(row).to_contain_text("从未使用")
    shot(page, "admin-7-token-secret-once")

    page.goto(live.url("/admin/tokens"))
    expect(page.locator("#token-secret-value")).to_have_count(0)
    assert secret not in page.content()
    row.get_by_role("button", name="吊销").click()
    _confirm(page)
    expect(page.locator("#done")).to_have_text("令牌已吊销。")
    expect(row).to_contain_text("已吊销")
    shot(page, "admin-8-token-revoked")

    page.locator(".admin-tabs").get_by_role("link", name="审计日志").click()
    page.fill("#f-who", "admin")
    page.select_option("#f-object_type", label="接口令牌")
    with page.expect_navigation():
        page.click("#apply-filters")
    rows = page.locator("table.admin-audit tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("吊销")
    expect(rows.nth(1)).to_contain_text("创建")
    expect(page.locator("#audit-count")).to_have_text("共 2 条记录")
    shot(page, "admin-9-audit-filtered-by-actor")


def test_a_rep_meets_a_refusal_on_the_admin_pages_and_sees_their_profile_link(
    page: Page, live: Live
) -> None:
    login(page, live, "rep", lang="zh-CN")
    expect(page.locator("#nav-admin")).to_have_count(0)
    page.locator("#nav-my-profile").click()
    expect(page.locator("h1")).to_have_text("Moses Frase")
    expect(page.locator("#away-toggle")).to_be_visible()
    response = page.goto(live.url("/admin/users"))
    assert response is not None and response.status == 403
    shot(page, "admin-10-rep-refused")
