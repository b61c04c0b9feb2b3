"""The dashboard in a real browser: charts drawn from the JSON block, the queue, scope."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from fenpei.domain.customers import Customer, Stage
from fenpei.domain.users import SYSTEM
from fenpei.services import org
from tests.browser.conftest import Live, login, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page


@pytest.fixture(scope="module", autouse=True)
def queued(live: Live) -> None:
    """Two customers waiting (one held for East with a queue reason, one in West's pool),
    one won by Moses, one lost by Darcel, and Darcel on leave for two days."""
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
        uow.customers.add(
            Customer(name="Lost deal 输单", owner_id=world.darcel, team_id=world.team_east,
                     stage=Stage.lost, closed_at=now, created_at=now, updated_at=now)
        )  # fmt: skip
        org.add_leave(
            uow=uow, rep_id=world.darcel, starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=2), actor=SYSTEM, now=now,
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


ON_LEAVE = {"en": "On leave", "zh-CN": "休假中"}
NO_CAP = {"en": "no cap", "zh-CN": "不限"}


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_dashboard_reads_at_a_glance(page: Page, live: Live, lang: str) -> None:
    """The rep on leave is named above the chart and marked in it; every bar's figure is
    drawn as text after the bar, small ones included; the conversions of the default
    period (all data) are not zero; the two conversion tables keep their rows' height."""
    login(page, live, "admin", lang=lang)
    page.goto(live.url("/dashboard"))
    chart = page.locator("#load-chart")
    chart.locator("svg").first.wait_for()

    marked = page.get_by_test_id("unavailable-reps")
    expect(marked.locator(".rep-status")).to_have_text([f"Darcel Schlecht {ON_LEAVE[lang]}"])
    expect(chart.get_by_text(f"Darcel Schlecht · {ON_LEAVE[lang]}")).to_have_count(1)
    # Moses holds few customers (a short bar): his figure is readable text after it.
    expect(chart.get_by_text(re.compile(rf"^\d+ / {NO_CAP[lang]}$"))).to_have_count(3)
    expect(page.locator("#conversion-chart").get_by_text("1 / 1 · 100%")).to_have_count(1)

    by_rep, by_team = page.locator("table.conversions").all()
    expect(by_rep.locator("tbody tr")).to_have_count(2)
    moses = by_rep.locator("tbody tr").first.locator("td")
    expect(moses).to_have_text(["Moses Frase", "1", "1", re.compile("100")])
    # Side by side, the by-team table (one row: East) beside the by-rep one (two rows)
    # keeps its row as tall as theirs instead of stretching it to the taller table.
    expect(by_team.locator("tbody tr")).to_have_count(1)
    rows = [*by_team.locator("tbody tr").all(), *by_rep.locator("tbody tr").all()]
    boxes = [row.bounding_box() for row in rows]
    heights = {round(box["height"]) for box in boxes if box is not None}
    assert len(boxes) == 3 and len(heights) == 1, heights
    expect(page.get_by_test_id("closed-period")).to_contain_text(
        "全部数据" if lang == "zh-CN" else "all data"
    )
    shot(page, "dashboard-glance")


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
