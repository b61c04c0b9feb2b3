"""首次联系时限 in Chromium, zh-CN, with screenshots: the admin adds a policy and imports a
year's holidays; a rep sees the first contact due in 我的客户 and on the customer's page;
the job breaches it and the manager sees it overdue. A policy with a next-contact target
(下次联系时限): after a contact the customer's page shows the next clock."""

from __future__ import annotations

from datetime import timedelta
from random import Random

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from fenpei.adapters.db import tables as t
from fenpei.domain.users import SYSTEM
from fenpei.services.assignments import assign
from fenpei.services.customers import create_customer
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.rulebook import RuleBook
from fenpei.services.sla.check import check
from tests.browser.conftest import Live, login, shot


def test_an_admin_sets_an_sla_and_a_missed_first_contact_shows_overdue(
    page: Page, live: Live
) -> None:
    login(page, live, "admin", lang="zh-CN")
    page.goto(live.url("/admin/sla"))
    form = page.locator("#new-policy")
    form.locator("#sla-name").fill("两小时首呼")
    form.locator("#sla-first_contact_minutes").fill("120")
    form.locator("#sla-remind_before_minutes").fill("30")
    form.locator("#sla-reassign_after_minutes").fill("60")
    form.locator("#sla-notify_manager").check()
    with page.expect_navigation():
        form.get_by_role("button", name="添加").click()
    expect(page.locator("#done")).to_contain_text("已添加时限规则")
    expect(page.locator('tr[data-policy="两小时首呼"]')).to_contain_text("120 分钟")
    shot(page, "sla-policy-added")

    page.goto(live.url("/admin/sla?year=2027"))
    page.locator("#sla-file").set_input_files(
        files=[{"name": "2027.csv", "mimeType": "text/csv",
                "buffer": "2027-10-01,holiday,国庆节\n2027-09-26,workday,国庆调休\n".encode()}]
    )  # fmt: skip
    with page.expect_navigation():
        page.locator("#upload-holidays").click()
    expect(page.locator('tr[data-day="2027-09-26"]')).to_contain_text("调休上班")
    expect(page.locator('tr[data-day="2027-10-01"]')).to_contain_text("导入")
    shot(page, "sla-holidays-imported")

    fenpei = live.fenpei
    with fenpei.uow() as uow:  # an open customer: a won or lost one has no contact due
        fresh = create_customer(uow=uow, fields={"name": "Initech 广州"}, actor=SYSTEM,
                                now=fenpei.now()).id or 0  # fmt: skip
        assign(uow=uow, customer_id=fresh, rep_id=live.world.moses, actor=SYSTEM,
               now=fenpei.now())  # fmt: skip
        uow.commit()
    login(page, live, "rep", lang="zh-CN")
    page.goto(live.url("/my"))
    expect(page.locator("span.sla-due")).to_contain_text("前")
    shot(page, "sla-my-customers-due")
    page.goto(live.url(f"/customers/{fresh}"))
    expect(page.locator("#sla-state")).to_contain_text("计时中")
    shot(page, "sla-customer-clock")

    with fenpei.engine.connect() as connection:
        due = connection.scalar(
            sa.select(t.sla_clocks.c.due_at).where(t.sla_clocks.c.customer_id == fresh)
        )
    assert due is not None
    check(uow_factory=fenpei.uow, rulebook=RuleBook(), now=due + timedelta(minutes=1),
          rng=Random(1))  # fmt: skip
    login(page, live, "manager", lang="zh-CN")
    page.goto(live.url(f"/customers/{fresh}"))
    expect(page.locator("#sla-state")).to_contain_text("已超时")
    shot(page, "sla-customer-breached")


def test_an_admin_sets_a_next_contact_target_and_the_customer_page_shows_the_next_clock(
    page: Page, live: Live
) -> None:
    login(page, live, "admin", lang="zh-CN")
    page.goto(live.url("/admin/sla"))
    form = page.locator("#new-policy")
    form.locator("#sla-name").fill("A 级再联系")
    form.locator("#sla-level").select_option("A")  # before any catch-all policy
    form.locator("#sla-first_contact_minutes").fill("120")
    form.locator("#sla-remind_before_minutes").fill("0")
    form.locator("#sla-next_contact_minutes").fill("60")
    with page.expect_navigation():
        form.get_by_role("button", name="添加").click()
    expect(page.locator('tr[data-policy="A 级再联系"] td.next-contact')).to_have_text("60 分钟")
    shot(page, "sla-next-contact-policy")

    fenpei, acme = live.fenpei, live.world.acme
    with fenpei.uow() as uow:
        assign(uow=uow, customer_id=acme, rep_id=live.world.darcel, actor=SYSTEM,
               now=fenpei.now(), reason="Moses is away")  # fmt: skip
        uow.commit()
    with fenpei.uow() as uow:
        record_follow_up(uow=uow, customer_id=acme, actor=SYSTEM, kind="phone",
                         at=fenpei.now(), content="报价已发", now=fenpei.now())  # fmt: skip
        uow.commit()
    check(uow_factory=fenpei.uow, rulebook=RuleBook(), now=fenpei.now() + timedelta(minutes=1),
          rng=Random(1))  # fmt: skip
    page.goto(live.url(f"/customers/{acme}"))
    expect(page.locator("#sla-clock-title")).to_have_text("下次联系时限")
    expect(page.locator("#sla-kind")).to_have_text("下次联系")
    expect(page.locator("#sla-state")).to_contain_text("计时中")
    shot(page, "sla-next-contact-clock")
