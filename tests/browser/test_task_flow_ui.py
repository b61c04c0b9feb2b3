"""The task loop in Chromium, zh-CN, with screenshots: a rep logs a follow-up whose "next
step" becomes a task; the engine gives it to the customer's owner and says why; it goes
overdue, the rep is told and the manager is escalated to; the manager opens it from the
inbox and chases (催办); the rep, told, completes it with its difficulty; the manager
rates it, and the history tells the whole story.

The server runs on the wall clock; the jobs (task-reminders, then the dispatcher that
turns events into inbox entries) are run here at chosen moments, as the scheduler would."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from fenpei.adapters.db import tables as t
from fenpei.domain.tasks import TaskStatus
from fenpei.services.notifications.dispatch import Outlets, expand
from fenpei.services.tasks.reminders import run_task_timers
from tests.browser.conftest import Live, login, shot

STEP = "寄送合同终稿"  # the follow-up's next step: the task's title
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _task(live: Live) -> tuple[int, datetime]:
    """The task the follow-up made: its id and due time."""
    with live.fenpei.engine.connect() as connection:
        row = connection.execute(
            sa.select(t.tasks.c.id, t.tasks.c.due_at, t.tasks.c.origin).where(
                t.tasks.c.title == STEP
            )
        ).one()
    assert row.origin == "follow_up"
    return row.id, row.due_at


def _jobs_at(live: Live, now: datetime) -> None:
    """What the scheduler would run at ``now``: task-reminders, then the dispatcher."""
    fenpei = live.fenpei
    run_task_timers(uow_factory=fenpei.uow, now=now)
    with fenpei.uow() as uow:
        expand(uow=uow, outlets=Outlets(), now=now)
        uow.commit()


def _inbox(page: Page, live: Live) -> Locator:
    """The inbox's entries about the task, newest first (the world has others)."""
    page.goto(live.url("/inbox"))
    return page.locator(".inbox-entry", has_text=STEP)


def test_a_next_step_becomes_a_task_goes_overdue_is_chased_completed_and_rated(
    page: Page, live: Live
) -> None:
    acme = live.world.acme

    # 1. Moses, Acme's owner, logs a call; its next step is a task due in two days.
    login(page, live, "rep", lang="zh-CN")
    page.goto(live.url(f"/customers/{acme}"))
    due_local = (datetime.now(SHANGHAI) + timedelta(days=2)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    page.locator("#fu-content").fill("客户同意报价，等合同")
    page.locator("#fu-next").fill(due_local.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#fu-next-step").fill(STEP)
    shot(page, "task-flow-1-follow-up-next-step")
    with page.expect_navigation():
        page.locator(".follow-up-form button[type=submit]").click()
    task_id, due = _task(live)
    assert due == due_local

    # 2. The engine gave it to the customer's owner, and the task page says why.
    page.goto(live.url(f"/tasks/{task_id}"))
    expect(page.locator("#assignee")).to_contain_text("Moses Frase")
    expect(page.locator(".task-why")).to_contain_text("负责人")
    shot(page, "task-flow-2-routed-to-owner")

    # 3. Days past due: overdue for Moses, escalated to his manager.
    _jobs_at(live, due + timedelta(days=4))
    expect(_inbox(page, live).first).to_contain_text(f"任务「{STEP}」已逾期")
    shot(page, "task-flow-3-rep-told-overdue")
    login(page, live, "manager", lang="zh-CN")
    escalated = _inbox(page, live).first
    expect(escalated).to_contain_text(f"Moses Frase 的任务「{STEP}」已逾期")
    shot(page, "task-flow-4-manager-escalated")

    # 4. The manager opens it from the inbox and chases.
    with page.expect_navigation():
        escalated.get_by_role("link").click()
    assert page.url.endswith(f"/tasks/{task_id}")
    page.locator("#chase-note").fill("今天务必寄出")
    with page.expect_navigation():
        page.locator("#chase button[type=submit]").click()
    expect(page.locator("p.notice")).to_contain_text("已催办")
    expect(page.locator("#history")).to_contain_text("催办了任务")
    shot(page, "task-flow-5-chased")

    # 5. Moses hears of it and completes the task.
    _jobs_at(live, due + timedelta(days=4, minutes=5))
    login(page, live, "rep", lang="zh-CN")
    chased = _inbox(page, live).first
    expect(chased).to_contain_text(f"催办任务「{STEP}」")
    with page.expect_navigation():
        chased.get_by_role("link").click()
    page.locator("#complete-difficulty").select_option("2")
    page.locator("#complete-note").fill("已快递，单号 SF123")
    with page.expect_navigation():
        page.get_by_role("button", name="标记为完成").click()
    expect(page.locator("p.notice")).to_contain_text("任务已完成")
    shot(page, "task-flow-6-completed")

    # 6. The manager rates it; the history holds every step.
    login(page, live, "manager", lang="zh-CN")
    page.goto(live.url(f"/tasks/{task_id}"))
    page.locator("#rate-quality").select_option("4")
    page.locator("#rate-satisfaction").select_option("5")
    with page.expect_navigation():
        page.get_by_role("button", name="提交评价").click()
    expect(page.locator(".task-facts")).to_contain_text("质量 4 分，满意度 5 分")
    history = page.locator("#history")
    for step in ("催办了任务", "完成了任务，难度 2"):
        expect(history).to_contain_text(step)
    shot(page, "task-flow-7-rated")
    with live.fenpei.uow(read_only=True) as uow:
        task = uow.tasks.get(task_id)
        assert task is not None
        assert task.status is TaskStatus.done and task.overdue_at is not None
        assert task.escalated_at is not None and task.assignee_id == live.world.moses
        assert (task.difficulty, task.quality, task.satisfaction) == (2, 4, 5)
