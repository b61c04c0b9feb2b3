"""The teams and rep pages say what routing would decide now, and the capacity it enforces."""

from __future__ import annotations

import re
from datetime import timedelta

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.services import org, rules
from tests.e2e.conftest import World
from tests.e2e.test_web import text_of
from tests.fakes import FixedClock


def _status_of(page: str, rep_id: int) -> str:
    """The status badge's words in the row (teams page) that links to the rep."""
    row = re.search(rf'<tr>\s*<td><a href="/reps/{rep_id}">.*?</tr>', page, re.S)
    assert row, rep_id
    badge = re.search(r'<span class="badge[^"]*" data-status="[a-z_]+"[^>]*>([^<]*)</span>', row[0])
    assert badge, row[0]
    return badge[1]


def _send_on_leave(app: Fenpei, clock: FixedClock, rep_id: int) -> None:
    with app.uow() as uow:
        org.add_leave(
            uow=uow,
            rep_id=rep_id,
            starts_at=clock.at - timedelta(hours=1),
            ends_at=clock.at + timedelta(days=2),
            actor=SYSTEM,
            now=clock.at,
        )
        uow.commit()


def _least_loaded_rule(app: Fenpei, clock: FixedClock, rep_id: int, default_capacity: int) -> None:
    with app.uow() as uow:
        rules.create_rule(
            uow=uow,
            fields={
                "name": "Balance East",
                "conditions": {"all": [{"field": "region", "op": "eq", "value": "East"}]},
                "target": {"kind": "reps", "rep_ids": [rep_id]},
                "strategy": "least_loaded",
                "strategy_options": {"default_capacity": default_capacity},
            },
            actor=SYSTEM,
            now=clock.at,
        )
        uow.commit()


def test_a_rep_on_leave_shows_on_leave_on_the_teams_and_rep_pages(
    app: Fenpei, clock: FixedClock, user_client: TestClient, seeded: World
) -> None:
    _send_on_leave(app, clock, seeded.moses_id)

    teams = user_client.get("/teams?lang=zh-CN")
    assert teams.status_code == 200
    assert _status_of(teams.text, seeded.moses_id) == "休假中"
    assert _status_of(teams.text, seeded.darcel_id) == "可接单"
    rep = user_client.get(f"/reps/{seeded.moses_id}")
    assert "休假中" in text_of(rep.text) and "可接单" not in text_of(rep.text)
    assert "休假至 2026-11-04" in text_of(rep.text)  # routing's reason, in the rep's zone

    english = user_client.get("/teams?lang=en")
    assert _status_of(english.text, seeded.moses_id) == "On leave"
    dashboard = user_client.get("/dashboard?lang=zh-CN")
    assert _status_of(dashboard.text, seeded.moses_id) == "休假中"


def test_an_away_or_inactive_rep_says_so(
    app: Fenpei, clock: FixedClock, user_client: TestClient, seeded: World
) -> None:
    with app.uow() as uow:
        org.update_rep(
            uow=uow, rep_id=seeded.moses_id, fields={"away": True}, actor=SYSTEM, now=clock.at
        )
        org.update_rep(
            uow=uow, rep_id=seeded.darcel_id, fields={"active": False}, actor=SYSTEM, now=clock.at
        )
        uow.commit()
    teams = user_client.get("/teams?lang=zh-CN").text
    assert _status_of(teams, seeded.moses_id) == "暂停接单"
    assert _status_of(teams, seeded.darcel_id) == "已停用"


def test_a_rep_without_max_open_shows_the_default_capacity_rules_measure_against(
    app: Fenpei, clock: FixedClock, user_client: TestClient, seeded: World
) -> None:
    teams = text_of(user_client.get("/teams?lang=zh-CN").text)
    assert "不设上限" in teams and "默认容量" not in teams  # no rule weighs load yet

    _least_loaded_rule(app, clock, seeded.moses_id, default_capacity=40)

    teams = text_of(user_client.get("/teams?lang=zh-CN").text)
    assert "0 / 不设上限（均衡分配按默认容量 40 计）" in teams
    assert "不限" not in teams
    rep = text_of(user_client.get(f"/reps/{seeded.moses_id}?lang=zh-CN").text)
    assert "不设上限（均衡分配按默认容量 40 计）" in rep
    assert "按默认容量 40 衡量其负荷" in rep
    english = text_of(user_client.get("/teams?lang=en").text)
    assert "0, no cap (load balancing counts against the default capacity, 40)" in english
