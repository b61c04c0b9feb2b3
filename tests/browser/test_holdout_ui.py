"""The holdout report in a real browser, as the East team's sales manager reads it."""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from fenpei.domain.users import SYSTEM
from fenpei.services import rules
from fenpei.services.customers import update_customer
from fenpei.services.intake import create_and_route
from tests.browser.conftest import Live, login, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page


@pytest.fixture(scope="module", autouse=True)
def experiment(live: Live) -> None:
    """East's rule holds a third out by round robin; 30 leads arrive, the smart arm's win."""
    fenpei, world = live.fenpei, live.world
    now = fenpei.now()
    with fenpei.uow() as uow:
        rules.create_rule(
            uow=uow,
            fields={
                "name": "华东智能分配 East smart", "priority": 1,
                "conditions": {"field": "region", "op": "eq", "value": "Holdout"},
                "target": {"kind": "team", "team_id": world.team_east},
                "strategy": "least_loaded",
                "holdout": {"share": 0.3, "strategy": "round_robin"},
            },
            actor=SYSTEM, now=now,
        )  # fmt: skip
        uow.commit()
    rng = Random(3)
    for n in range(30):
        with fenpei.uow() as uow:
            customer, decision = create_and_route(
                uow=uow, rulebook=fenpei.rulebook, actor=SYSTEM, now=now, rng=rng,
                fields={"name": f"线索 {n}", "region": "Holdout", "expected_value": "8000"},
            )  # fmt: skip
            assert decision is not None and customer.id is not None
            won = rng.random() < (0.6 if decision.arm == "smart" else 0.2)
            update_customer(
                uow=uow, customer_id=customer.id, fields={"stage": "won" if won else "lost"},
                actor=SYSTEM, now=now,
            )  # fmt: skip
            uow.commit()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_manager_reads_both_groups_and_the_verdict(page: Page, live: Live, lang: str) -> None:
    login(page, live, "manager", lang=lang)
    page.goto(live.url("/reports/holdout?period=all"))

    section = page.locator("section.holdout-rule")
    expect(section).to_have_count(1)
    expect(section.locator("h2")).to_have_text("华东智能分配 East smart")
    rows = section.locator("table.holdout-arms tbody tr")
    expect(rows).to_have_count(2)
    smart = {"zh-CN": "智能分配", "en": "Smart routing"}[lang]
    expect(rows.nth(0).locator("th")).to_have_text(smart)
    verdict = section.locator(".holdout-verdict")
    expect(verdict).to_contain_text(
        {"zh-CN": "95% 置信区间", "en": "95% confidence interval"}[lang]
    )
    tab = page.locator("nav.tabs a[aria-current=page]")
    expect(tab).to_have_text({"zh-CN": "对照组报告", "en": "Holdout report"}[lang])
    shot(page, "holdout-report")
    page.locator("nav.tabs a").first.click()  # back to the rule book, which links here
    page.locator("#tab-holdout").wait_for()
