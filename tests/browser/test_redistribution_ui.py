"""公海再分配 in Chromium, zh-CN, with screenshots: East's manager opens it from the pool
page, previews the batch under a batch_optimal rule (who gets how many, the trade-off
for each customer), confirms, and the pool is empty."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from fenpei.adapters.db import tables as t
from fenpei.domain.scoring import ModelKind, ScoreModel
from fenpei.domain.users import SYSTEM
from fenpei.engine.scoring import loading
from fenpei.services import org, rules
from fenpei.services.customers import create_customer
from tests.browser.conftest import Live, login, shot
from tests.services.test_routing_optimal import _table


def _world(live: Live) -> None:
    fenpei, world = live.fenpei, live.world
    now = fenpei.now()
    with fenpei.uow() as uow:
        org.update_rep(uow=uow, rep_id=world.moses, fields={"max_open": 3}, actor=SYSTEM, now=now)
        rules.create_rule(
            uow=uow,
            actor=SYSTEM,
            now=now,
            fields={
                "name": "华东最优分配",
                "strategy": "batch_optimal",
                "target": {"kind": "team", "team_id": world.team_east},
            },
        )
        for name in ("Initech 杭州", "Umbrella 南京"):
            create_customer(uow=uow, fields={"name": name}, actor=SYSTEM, now=now)
        p = {str(world.moses): 0.6, str(world.darcel): 0.3}
        model = ScoreModel(
            kind=ModelKind.affinity, version=1, name="t", params={"algorithm": "test_table", "p": p}
        )
        uow.score_models.add(model)
        uow.score_models.activate(model, at=now)
        uow.commit()
    with fenpei.engine.begin() as connection:
        connection.execute(
            sa.update(t.customers).where(t.customers.c.owner_id.is_(None)).values(pool="public")
        )


def test_a_manager_previews_and_redistributes_the_pool(
    page: Page, live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(loading.ALGORITHMS, "test_table", _table)
    _world(live)
    login(page, live, "manager", lang="zh-CN")
    page.goto(live.url("/pool"))
    with page.expect_navigation():
        page.locator("#pool-redistribute").click()
    page.locator("#redistribute-rule").select_option(label="华东最优分配")
    with page.expect_navigation():
        page.get_by_role("button", name="预览").click()

    result = page.locator("#redistribute-result")
    expect(result).to_contain_text("3 个客户中将有 3 个分配给销售，0 个留在公海")
    expect(result).to_contain_text("预计成交：1.2 个")
    expect(result).to_contain_text(
        "Moses Frase（成交概率 0.60）在本批中已满额；改由 Darcel Schlecht"
    )
    shot(page, "pool-redistribute-preview")
    with page.expect_navigation():
        page.get_by_role("button", name="确认再分配 3 个客户").click()

    expect(page.locator("p.notice")).to_contain_text("已再分配 3 个客户。")
    shot(page, "pool-redistributed")
    page.goto(live.url("/pool"))
    expect(page.locator("table.data.pool")).to_have_count(0)
