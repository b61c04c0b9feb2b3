"""The whole 公海 loop in Chromium, zh-CN, with screenshots: a rep claims a customer from
the pool, does not call it in time, is reminded, misses the first-contact SLA, the manager
is told; no follow-up comes, the rep is warned, and the customer is reclaimed and routed
again to another rep of the team; a rep of another team's duplicate check then shows the
customer as owned and protected, without its name.

The server runs on the wall clock; the jobs (sla-check, pool-reclaim, the dispatcher that
turns events into inbox entries) are run here at chosen moments, as the scheduler would."""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random

import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from fenpei.adapters.db import tables as t
from fenpei.domain.users import SYSTEM
from fenpei.services.customers import create_customer
from fenpei.services.notifications.dispatch import Outlets, expand
from fenpei.services.pool.reclaim import reclaim
from fenpei.services.pool.terms import set_terms
from fenpei.services.sla import policies
from fenpei.services.sla.check import check
from tests.browser.conftest import Live, login, shot

PHONE = "13911112222"


def _setup(live: Live) -> int:
    """The public pool reclaims after 5 days without a follow-up (warning 2 days before,
    3 days' protection, re-routed); first contact is due within 60 business minutes."""
    fenpei = live.fenpei
    with fenpei.uow() as uow:
        now = fenpei.now()
        set_terms(
            uow=uow, key="public", actor=SYSTEM, now=now,
            fields={"protection_days": 3, "reclaim_enabled": True, "no_follow_up_days": 5,
                    "warn_days": 2, "reclaim_action": "reroute"},
        )  # fmt: skip
        policies.create_policy(
            uow=uow, actor=SYSTEM, now=now,
            fields={"name": "一小时首呼", "first_contact_minutes": 60,
                    "remind_before_minutes": 15, "notify_manager": True},
        )  # fmt: skip
        customer = create_customer(
            uow=uow, actor=SYSTEM, now=now,
            fields={"name": "Initech 杭州", "region": "East", "phone": PHONE},
        )  # fmt: skip
        customer.pool = "public"
        uow.commit()
        assert customer.id is not None
        return customer.id


def _clock(live: Live, customer_id: int) -> tuple[datetime, datetime]:
    """The customer's open SLA clock: when it started and when first contact is due."""
    with live.fenpei.engine.connect() as connection:
        row = connection.execute(
            sa.select(t.sla_clocks.c.started_at, t.sla_clocks.c.due_at).where(
                t.sla_clocks.c.customer_id == customer_id, t.sla_clocks.c.state == "open"
            )
        ).one()
    return row.started_at, row.due_at


def _jobs_at(live: Live, now: datetime, *, reclaiming: bool = False) -> None:
    """What the scheduler would run at ``now``: sla-check (or pool-reclaim), then the
    dispatcher writing the inbox entries."""
    fenpei = live.fenpei
    if reclaiming:
        reclaim(uow_factory=fenpei.uow, now=now, rulebook=fenpei.rulebook, rng=Random(3))
    else:
        check(uow_factory=fenpei.uow, rulebook=fenpei.rulebook, now=now, rng=Random(3))
    with fenpei.uow() as uow:
        expand(uow=uow, outlets=Outlets(), now=now)
        uow.commit()


def _inbox(page: Page, live: Live) -> Locator:
    """The inbox's entries about Initech, newest first (the seeded world has others)."""
    page.goto(live.url("/inbox"))
    return page.locator(".inbox-entry", has_text="Initech 杭州")


def test_claim_miss_the_sla_get_reclaimed_and_rerouted_then_a_duplicate_check(
    page: Page, live: Live
) -> None:
    customer_id = _setup(live)

    # 1. Moses claims Initech from the pool.
    login(page, live, "rep", lang="zh-CN")
    page.get_by_role("link", name="公海", exact=True).click()
    row = page.locator(f'tr[data-customer="{customer_id}"]')
    expect(row).to_contain_text("Initech 杭州")
    shot(page, "flow-1-pool")
    with page.expect_navigation():
        row.get_by_role("button", name="领取 Initech 杭州").click()
    page.goto(live.url(f"/customers/{customer_id}"))
    expect(page.locator("#sla-state")).to_contain_text("计时中")
    shot(page, "flow-2-claimed-clock-running")
    started, due = _clock(live, customer_id)

    # 2. A quarter of an hour before the due time: reminded.
    _jobs_at(live, due - timedelta(minutes=10))
    entries = _inbox(page, live)
    expect(entries.first).to_contain_text("须在")
    expect(entries.first).to_contain_text("前首次联系")

    # 3. Past it without a call: breached, Moses told, and his manager told.
    _jobs_at(live, due + timedelta(minutes=1))
    entries = _inbox(page, live)
    expect(entries.first).to_contain_text("客户「Initech 杭州」首次联系已超时")
    shot(page, "flow-3-rep-reminded-and-breached")
    login(page, live, "manager", lang="zh-CN")
    expect(_inbox(page, live).first).to_contain_text(
        "Moses Frase 的客户「Initech 杭州」首次联系已超时"
    )
    shot(page, "flow-4-manager-notified")
    page.goto(live.url(f"/customers/{customer_id}"))
    expect(page.locator("#sla-state")).to_contain_text("已超时")

    # 4. Still no follow-up: warned two days before reclaim, then reclaimed on day 5 and
    # routed again by the East rule — to Darcel, never back to Moses.
    _jobs_at(live, started + timedelta(days=3, hours=1), reclaiming=True)
    login(page, live, "rep", lang="zh-CN")
    entries = _inbox(page, live)
    expect(entries.first).to_contain_text("将于")
    expect(entries.first).to_contain_text("被收回公海")
    shot(page, "flow-5-reclaim-warning")
    _jobs_at(live, started + timedelta(days=5, minutes=1), reclaiming=True)
    with live.fenpei.uow() as uow:
        customer = uow.customers.get(customer_id)
        assert customer is not None and customer.owner_id == live.world.darcel

    login(page, live, "manager", lang="zh-CN")
    page.goto(live.url(f"/customers/{customer_id}"))
    timeline = page.locator("#timeline .timeline-item")
    expect(timeline.nth(0)).to_contain_text("Darcel Schlecht")
    expect(timeline.nth(1)).to_contain_text("回收")
    expect(timeline.nth(1)).to_contain_text("原因：自动回收：5 天未跟进")
    expect(timeline.nth(1)).to_contain_text("Moses Frase")
    expect(page.locator("#timeline")).to_contain_text("领取")
    shot(page, "flow-6-reclaimed-and-rerouted")

    # 5. Rosie (West) finds the phone number taken: owned by Darcel, protected, no name.
    login(page, live, "rep2", lang="zh-CN")
    page.get_by_role("link", name="公海", exact=True).click()
    box = page.locator("section.duplicate-check")
    box.get_by_label("电话").fill("139 1111 2222")
    with page.expect_navigation():
        box.get_by_role("button", name="查重").click()
    found = page.locator("#duplicate-matches li")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("负责人：Darcel Schlecht")
    expect(found).to_contain_text("保护期至")
    expect(found).not_to_contain_text("Initech")
    shot(page, "flow-7-duplicate-check-protected")
