"""Bulk push from the pool (公海分配) in Chromium, zh-CN, with screenshots: a manager ticks
customers waiting in the pool and gives them to a rep of the team. A push that would pass
the pool's holding cap is refused whole, naming the customer and why; a push that fits asks
once (count, pool, rep) and then lands, with the record on the customer's page."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from fenpei.adapters.db import tables as t
from fenpei.domain.users import SYSTEM
from fenpei.services.customers import create_customer
from fenpei.services.pool.terms import set_terms
from tests.browser.conftest import Live, login, shot


def _waiting(live: Live, *names: str) -> list[int]:
    """Customers waiting in the public pool, oldest first."""
    ids = []
    with live.fenpei.uow() as uow:
        for name in names:
            made = create_customer(
                uow=uow,
                fields={"name": name, "region": "East"},
                actor=SYSTEM,
                now=live.fenpei.now(),
            )
            assert made.id is not None
            ids.append(made.id)
        set_terms(uow=uow, key="public", fields={"max_owned": 1}, actor=SYSTEM,
                  now=live.fenpei.now())  # fmt: skip
        uow.commit()
    with live.fenpei.engine.begin() as connection:
        connection.execute(
            sa.update(t.customers).where(t.customers.c.id.in_(ids)).values(pool="public")
        )
    return ids


def _owner(live: Live, customer_id: int) -> int | None:
    with live.fenpei.engine.connect() as connection:
        query = sa.select(t.customers.c.owner_id).where(t.customers.c.id == customer_id)
        owner: int | None = connection.scalar(query)
        return owner


def test_a_manager_pushes_pool_customers_to_a_rep_within_the_holding_cap(
    page: Page, live: Live
) -> None:
    first, second = _waiting(live, "苏州精密 推送一", "无锡电气 推送二")
    login(page, live, "manager", lang="zh-CN")
    page.goto(live.url("/pool?key=public"))

    def tick(*ids: int) -> None:
        for customer_id in ids:
            page.locator(f'tr[data-customer="{customer_id}"] input[type="checkbox"]').check()
        page.locator("#push-rep").select_option(str(live.world.darcel))

    tick(first, second)
    shot(page, "pool-push-picked")
    with page.expect_navigation():
        page.locator("#pool-push").click()
    # Darcel may hold one customer from this pool: the two are refused together.
    refusal = page.locator("p.error")
    expect(refusal).to_contain_text("无法分配：该销售持有的客户已达公海上限")
    expect(refusal).to_contain_text("无锡电气 推送二")
    shot(page, "pool-push-refused")
    assert _owner(live, first) is None and _owner(live, second) is None

    tick(first)
    with page.expect_navigation():
        page.locator("#pool-push").click()
    expect(page.locator(".confirm-summary")).to_have_text(
        "将 1 个客户从「公共公海」分配给 Darcel Schlecht？"
    )
    shot(page, "pool-push-confirm")
    assert _owner(live, first) is None  # only checked until confirmed
    with page.expect_navigation():
        page.get_by_role("button", name="分配 1 个给 Darcel Schlecht").click()
    expect(page.locator("p.notice")).to_contain_text("已分配 1 个客户")
    expect(page.locator(f'tr[data-customer="{first}"]')).to_have_count(0)
    expect(page.locator(f'tr[data-customer="{second}"]')).to_have_count(1)
    assert _owner(live, first) == live.world.darcel

    page.goto(live.url(f"/customers/{first}"))
    expect(page.locator("dl.attributes").first).to_contain_text("Darcel Schlecht")
    shot(page, "pool-push-customer")
