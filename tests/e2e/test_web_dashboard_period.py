"""The dashboard on old data, as the demo's (closings in 2017 only): the default period has
figures, a recent window moves back to the last one with data and says so, and reps who
take no customers now are marked."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.customers import Stage
from fenpei.domain.users import SYSTEM
from fenpei.services import org
from fenpei.services.customers import create_customer
from tests.e2e.conftest import World
from tests.e2e.test_web import text_of
from tests.fakes import FixedClock

_NOTE = re.compile(r'<p class="period-note" data-testid="closed-period">(.*?)</p>', re.S)
_CHART = re.compile(r'<script type="application/json" class="chart-data">(.*?)</script>', re.S)


def _close_in_2017(app: Fenpei, clock: FixedClock, seeded: World) -> None:
    """Moses won two and lost one in 2017; Darcel won one."""
    closings = [
        ("Won March 三月赢单", seeded.moses_id, Stage.won, datetime(2017, 3, 1, 4, tzinfo=UTC)),
        ("Won Dec 十二月赢单", seeded.moses_id, Stage.won, datetime(2017, 12, 20, 4, tzinfo=UTC)),
        ("Lost Dec 十二月输单", seeded.moses_id, Stage.lost, datetime(2017, 12, 31, 4, tzinfo=UTC)),
        ("Won June 六月赢单", seeded.darcel_id, Stage.won, datetime(2017, 6, 1, 4, tzinfo=UTC)),
    ]
    with app.uow() as uow:
        for name, rep_id, stage, closed_at in closings:
            made = create_customer(uow=uow, fields={"name": name}, actor=SYSTEM, now=clock.at)
            stored = uow.customers.get(made.id or 0)
            assert stored is not None
            stored.owner_id, stored.stage, stored.closed_at = rep_id, stage, closed_at
        uow.commit()


def _conversion_rows(page: str) -> dict[str, tuple[str, str]]:
    """Won and closed by rep, from the first conversions table."""
    table = page.split('<table class="data conversions">', 2)[1].split("</table>", 1)[0]
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S):
        cells = [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        found[cells[0]] = (cells[1], cells[2])
    return found


def test_the_default_period_shows_the_old_closings_and_their_span(
    app: Fenpei, clock: FixedClock, user_client: TestClient, seeded: World
) -> None:
    _close_in_2017(app, clock, seeded)

    page = user_client.get("/dashboard?lang=zh-CN").text

    assert _conversion_rows(page)["Moses Frase"] == ("2", "3")
    assert _conversion_rows(page)["Darcel Schlecht"] == ("1", "1")
    note = _NOTE.search(page)
    assert note and text_of(note[1]) == "结单时间 2017-03-01 至 2017-12-31（全部数据）。"
    assert '<option value="all" selected>全部数据</option>' in page


def test_a_recent_window_without_closings_shows_the_last_one_with_data(
    app: Fenpei, clock: FixedClock, user_client: TestClient, seeded: World
) -> None:
    _close_in_2017(app, clock, seeded)

    page = user_client.get("/dashboard?period=30&lang=zh-CN").text
    english = user_client.get("/dashboard?period=30&lang=en").text

    note = _NOTE.search(page)
    assert note and text_of(note[1]) == (
        "近 30 天没有结单：显示有数据的最近 30 天，2017-12-01 至 2017-12-31。"
    )
    assert _conversion_rows(page) == {"Moses Frase": ("1", "2")}
    note = _NOTE.search(english)
    assert note and "showing the last 30 days with data, 2017-12-01 to 2017-12-31" in note[1]


def test_reps_taking_no_customers_now_are_marked_above_the_chart_and_in_it(
    app: Fenpei, clock: FixedClock, user_client: TestClient, seeded: World
) -> None:
    with app.uow() as uow:
        org.add_leave(
            uow=uow,
            rep_id=seeded.moses_id,
            starts_at=clock.at - timedelta(hours=1),
            ends_at=clock.at + timedelta(days=2),
            actor=SYSTEM,
            now=clock.at,
        )
        uow.commit()

    page = user_client.get("/dashboard?lang=zh-CN").text

    marked = page.split('data-testid="unavailable-reps">', 1)[1].split("</p>", 1)[0]
    assert text_of(marked) == "当前不接单： Moses Frase 休假中"
    chart = _CHART.search(page)
    assert chart is not None
    loads = {row["name"]: row["status_text"] for row in json.loads(chart[1])["loads"]}
    assert loads == {"Moses Frase": "休假中", "Darcel Schlecht": None}
