"""训练模型 in Chromium, zh-CN, with a screenshot: the admin trains the rep affinity on a
time split and reads its evaluation — the table against the baselines, the calibration
chart and the calibration per rep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from playwright.sync_api import Page, expect

from fenpei.domain.customers import Customer, Stage
from tests.browser.conftest import Live, login, shot


def _history(live: Live) -> str:
    """400 closed deals over the past 400 days (Moses wins retail, Darcel energy); the
    split date, a hundred days ago."""
    rng = np.random.default_rng(2)
    now = datetime.now(UTC)
    world = live.world
    with live.fenpei.uow() as uow:
        batch = []
        for i in range(400):
            retail, moses = i % 2 == 0, i % 4 < 2
            p = 0.75 if retail == moses else 0.3
            at = now - timedelta(days=400 - i)
            batch.append(
                Customer(name=f"历史 {i}", industry="零售" if retail else "能源",
                         stage=Stage.won if rng.random() < p else Stage.lost,
                         owner_id=world.moses if moses else world.darcel,
                         team_id=world.team_east, closed_at=at, created_at=at, updated_at=at)
            )  # fmt: skip
        uow.customers.add_many(batch)
        uow.commit()
    return (now - timedelta(days=100)).date().isoformat()


def test_an_admin_trains_the_rep_affinity_and_reads_its_evaluation(page: Page, live: Live) -> None:
    split = _history(live)
    login(page, live, "admin", lang="zh-CN")
    page.goto(live.url("/admin/scoring/train"))
    expect(page.locator("h1")).to_have_text("训练评分模型")
    page.get_by_label("销售匹配度（按销售的成交概率）").check()
    page.locator("#train-split").fill(split)
    page.locator("#train-name").fill("华东春季")
    with page.expect_navigation():
        page.get_by_role("button", name="训练并评估").click()

    expect(page.locator("#result-title")).to_contain_text("第 1 版「华东春季」")
    expect(page.locator('tr[data-model="learned"]')).to_contain_text("本模型")
    expect(page.locator('tr[data-model="segment_table"]')).to_contain_text("分群成交率表")
    assert page.locator("svg.calibration-chart circle.bin").count() >= 2
    expect(page.locator("#per-rep")).to_contain_text("Moses")
    expect(page.locator("#per-rep")).to_contain_text("Darcel")
    shot(page, "scoring-train-result")
