"""任务 in Chromium, zh-CN, with screenshots: a manager creates a task from a customer
page and the engine gives it to the customer's owner; the rep finds it on 我的任务, drags
it on the board and moves it again with the keyboard alone (受阻 asks for the reason),
opens the calendar, completes it with its difficulty, and the manager rates it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect

from fenpei.domain.tasks import TaskStatus
from fenpei.domain.users import SYSTEM
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput
from tests.browser.conftest import Live, login, shot

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage

TITLE = "寄送报价单给采购经理"


def _status(live: Live, task_id: int) -> TaskStatus:
    with live.fenpei.uow(read_only=True) as uow:
        task = uow.tasks.get(task_id)
        assert task is not None
        return TaskStatus(task.status)


def test_a_task_from_a_customer_page_is_worked_on_the_board_completed_and_rated(
    page: Page, live: Live
) -> None:
    refused: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", note)
    login(page, live, "manager", lang="zh-CN")
    page.goto(live.url(f"/customers/{live.world.acme}"))
    with page.expect_navigation():
        page.locator("#new-task-for-customer").click()
    expect(page.locator("#tn-customers")).to_have_value(str(live.world.acme))
    page.locator("#tn-title").fill(TITLE)
    page.locator("#tn-priority").select_option("high")
    page.locator("#tn-due_at").fill("2099-01-05T10:00")
    page.locator("#tn-checklist").fill("核对价格\n发邮件")
    shot(page, "task-new")
    with page.expect_navigation():
        page.get_by_role("button", name="创建任务").click()

    found = re.search(r"/tasks/(\d+)", page.url)
    assert found, page.url
    task_id = int(found.group(1))
    expect(page.locator("p.notice")).to_contain_text("任务已创建")
    expect(page.locator("#assignee")).to_contain_text("Moses Frase")
    expect(page.locator(".task-why")).to_contain_text("Moses Frase 是该任务关联客户的负责人")
    shot(page, "task-page-routed")

    login(page, live, "rep", lang="zh-CN")
    page.goto(live.url("/tasks"))
    expect(page.locator(".task-section-upcoming")).to_contain_text(TITLE)
    shot(page, "my-tasks")

    page.goto(live.url("/tasks/board"))
    card = page.locator(f"#task-{task_id}")
    expect(page.locator('.board-column[data-status="todo"]')).to_contain_text(TITLE)
    card.drag_to(page.locator('.board-column[data-status="in_progress"]'))
    expect(page.locator('.board-column[data-status="in_progress"]')).to_contain_text(TITLE)
    assert _status(live, task_id) is TaskStatus.in_progress
    shot(page, "task-board-dragged")

    # Without a mouse: the card's status select, then the reason 受阻 asks for, then Move.
    select = page.locator(f"#move-{task_id}")
    select.focus()
    page.keyboard.press("ArrowDown")
    expect(select).to_have_value("blocked")
    expect(card.locator('input[name="reason"]')).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.type("等客户确认预算")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator('.board-column[data-status="blocked"]')).to_contain_text(TITLE)
    assert _status(live, task_id) is TaskStatus.blocked
    shot(page, "task-board-keyboard")

    page.goto(live.url("/tasks/calendar?month=2099-01"))
    expect(page.locator('.cal-day[data-date="2099-01-05"]')).to_contain_text(TITLE)
    shot(page, "task-calendar")

    page.goto(live.url(f"/tasks/{task_id}"))
    page.locator("#complete-difficulty").select_option("4")
    page.locator("#complete-note").fill("预算确认后已寄出")
    with page.expect_navigation():
        page.get_by_role("button", name="标记为完成").click()
    expect(page.locator("p.notice")).to_contain_text("任务已完成")
    expect(page.locator("#history")).to_contain_text("完成了任务，难度 4")
    shot(page, "task-completed")

    login(page, live, "manager", lang="zh-CN")
    page.goto(live.url(f"/tasks/{task_id}"))
    page.locator("#rate-quality").select_option("5")
    page.locator("#rate-satisfaction").select_option("4")
    with page.expect_navigation():
        page.get_by_role("button", name="提交评价").click()
    expect(page.locator(".task-facts")).to_contain_text("质量 5 分，满意度 4 分")
    shot(page, "task-rated")
    with live.fenpei.uow(read_only=True) as uow:
        task = uow.tasks.get(task_id)
        assert task is not None
        assert (task.difficulty, task.quality, task.satisfaction) == (4, 5, 4)
    assert refused == []


def test_a_phone_sees_the_calendar_as_a_list_by_day_without_sideways_scroll(
    phone_page: Page, live: Live
) -> None:
    with live.fenpei.uow() as uow:
        create_and_route(
            uow=uow, actor=SYSTEM, now=live.fenpei.now(), assignee_id=live.world.moses,
            data=TaskInput(title="月底对账", due_at=datetime(2099, 2, 28, 2, 0, tzinfo=UTC)),
        )  # fmt: skip
        uow.commit()
    login(phone_page, live, "rep", lang="zh-CN")
    phone_page.goto(live.url("/tasks/calendar?month=2099-02"))

    expect(phone_page.locator(".cal-grid")).to_be_hidden()
    expect(phone_page.locator(".cal-list")).to_contain_text("2099-02-28 周六")
    expect(phone_page.locator(".cal-list")).to_contain_text("月底对账")
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(phone_page, "task-calendar-phone")
