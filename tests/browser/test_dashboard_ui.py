"""The dashboard in a real browser: charts drawn from the JSON block, the queue, scope."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from fenpei.domain.customers import Customer, Stage
from tests.browser.conftest import Live, login, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page


@pytest.fixture(scope="module", autouse=True)
def queued(live: Live) -> None:
    """Two customers waiting (one held for East with a queue reason, one in West's pool) and
    one won by Moses."""
    fenpei, world = live.fenpei, live.world
    now = fenpei.now()
    with fenpei.uow() as uow:
        for name, team, reason, pool in (
            ("Waiting East 排队", world.team_east, "no eligible rep: all over capacity", None),
            ("Pooled West 公海", world.team_west, None, "West pool"),
        ):
            uow.customers.add(
                Customer(name=name, team_id=team, queue_reason=reason, pool=pool,
                         queued_at=now, created_at=now, updated_at=now)
            )  # fmt: skip
        uow.customers.add(
            Customer(name="Won deal 赢单", owner_id=world.moses, team_id=world.team_east,
                     stage=Stage.won, closed_at=now, created_at=now, updated_at=now)
        )  # fmt: skip
        uow.commit()


def _chart_names(page: Page) -> list[str]:
    data = json.loads(page.locator("#dashboard-figures script.chart-data").text_content() or "")
    return [row["name"] for row in data["loads"]]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_dashboard_draws_the_load_chart_and_lists_the_queue(
    page: Page, live: Live, lang: str
) -> None:
    login(page, live, "admin", lang=lang)
    page.goto(live.url("/dashboard"))
    page.locator("#load-chart svg").first.wait_for()
    page.locator("#conversion-chart svg").first.wait_for()
    queue = page.locator("table.queue")
    assert queue.get_by_role("link", name="Waiting East 排队").count() == 1
    assert "no eligible rep" in (queue.text_content() or "")
    assert {"Moses Frase", "Darcel Schlecht", "Rosie Papadopoulos"} <= set(_chart_names(page))
    # user content in the chart is text, never markup
    assert page.locator("#load-chart script").count() == 0
    shot(page, "dashboard")


def test_manager_sees_only_east(page: Page, live: Live) -> None:
    login(page, live, "manager")
    page.goto(live.url("/dashboard"))
    page.locator("#load-chart svg").first.wait_for()
    assert set(_chart_names(page)) == {"Moses Frase", "Darcel Schlecht"}
    queue = page.locator("table.queue")
    assert queue.get_by_role("link", name="Waiting East 排队").count() == 1
    assert queue.get_by_role("link", name="Pooled West 公海").count() == 0
    assert "Rosie" not in (page.locator("#dashboard-figures").text_content() or "")


def test_figures_refresh_in_place(page: Page, live: Live) -> None:
    login(page, live, "admin")
    page.goto(live.url("/dashboard"))
    page.locator("#load-chart svg").first.wait_for()
    page.evaluate("window.__marker = 1")
    # The figures now shown are marked; the refreshed ones come without the mark. (A
    # locator waits without evaluating script text, which the page's CSP forbids.)
    page.evaluate("document.querySelector('#dashboard-figures').dataset.old = '1'")
    page.evaluate(
        "htmx.ajax('GET', '/dashboard', {source: '#dashboard-figures',"
        " target: '#dashboard-figures', swap: 'outerHTML'})"
    )
    page.locator("#dashboard-figures:not([data-old]) #load-chart svg").first.wait_for()
    assert page.evaluate("window.__marker") == 1  # no full reload
    assert page.locator("#dashboard-figures").get_attribute("hx-trigger") == "every 30s"


def test_a_rep_is_refused_the_dashboard(page: Page, live: Live) -> None:
    login(page, live, "rep")
    response = page.goto(live.url("/dashboard"))
    assert response is not None and response.status == 403


def test_dashboard_at_phone_width(phone_page: Page, live: Live) -> None:
    login(phone_page, live, "admin", lang="zh-CN")
    phone_page.goto(live.url("/dashboard"))
    phone_page.locator("#load-chart svg").first.wait_for()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the page scrolls sideways ({width}px)"
    shot(phone_page, "dashboard-phone")
