"""The dashboard's figures and the org chart, on the fakes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from fenpei.domain.errors import PermissionDenied
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import analytics
from fenpei.services.ports import IntakeCounts
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock
from tests.services._analytics_world import AnalyticsWorld, seed_analytics_world

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(uow: FakeUnitOfWork, clock: FixedClock) -> AnalyticsWorld:
    return seed_analytics_world(uow, FakeHasher(), clock.now())


def _dashboard(uow: FakeUnitOfWork, clock: FixedClock, actor: Actor) -> analytics.Dashboard:
    with uow:
        return analytics.dashboard(uow=uow, actor=actor, now=clock.now(), zone=SHANGHAI)


def test_today_begins_at_local_midnight() -> None:
    now = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    assert analytics.start_of_day(now, SHANGHAI) == datetime(2026, 11, 1, 16, 0, tzinfo=UTC)
    assert analytics.start_of_day(now, UTC) == datetime(2026, 11, 2, tzinfo=UTC)


def test_admin_sees_the_whole_company(
    uow: FakeUnitOfWork, clock: FixedClock, world: AnalyticsWorld
) -> None:
    board = _dashboard(uow, clock, SYSTEM)
    assert board.whole_company
    assert board.today == IntakeCounts(created=3, owned=2, waiting=1, assignments=3)
    assert [line.rep.name for line in board.loads] == ["Darcel", "Moses", "Rosie"]
    moses = next(line for line in board.loads if line.rep.name == "Moses")
    assert moses.usage is not None and moses.usage.open_count == 2
    assert moses.share == pytest.approx(2 / 3)
    assert [(c.name, c.won, c.lost) for c in board.by_rep] == [
        ("Darcel", 1, 0), ("Rosie", 1, 0), ("Moses", 1, 1)
    ]  # fmt: skip
    assert {(c.name, c.won, c.closed) for c in board.by_team} == {
        ("East", 1, 2), ("East Sub", 1, 1), ("West", 1, 1)
    }  # fmt: skip
    assert [w.name for w in board.waiting] == ["p1", "q2", "q1"]
    assert board.waiting_total == 3
    assert board.waiting[0].pool == "West pool"


def test_manager_sees_only_their_team_tree(
    uow: FakeUnitOfWork, clock: FixedClock, world: AnalyticsWorld
) -> None:
    assert world.manager is not None
    board = _dashboard(uow, clock, world.manager)
    assert not board.whole_company
    assert board.today == IntakeCounts(created=2, owned=1, waiting=1, assignments=2)
    assert [line.rep.name for line in board.loads] == ["Darcel", "Moses"]
    assert {c.name for c in board.by_rep} == {"Darcel", "Moses"}
    assert {c.name for c in board.by_team} == {"East", "East Sub"}
    assert [w.name for w in board.waiting] == ["q2", "q1"]


def test_conversions_can_count_only_recent_closes(
    uow: FakeUnitOfWork, clock: FixedClock, world: AnalyticsWorld
) -> None:
    with uow:
        board = analytics.dashboard(
            uow=uow, actor=SYSTEM, now=clock.now(), zone=SHANGHAI,
            period_days=30,
        )  # fmt: skip
    # Darcel's win was 40 days ago; Rosie's has no close time.
    assert [(c.name, c.won, c.lost) for c in board.by_rep] == [("Moses", 1, 1)]


@pytest.mark.parametrize("role", [Role.rep, Role.auditor])
def test_reps_and_auditors_may_not_see_the_dashboard(
    uow: FakeUnitOfWork, clock: FixedClock, world: AnalyticsWorld, role: Role
) -> None:
    with pytest.raises(PermissionDenied):
        _dashboard(uow, clock, Actor("someone", role, user_id=99, rep_id=world.ids["Moses"]))


def test_org_chart_nests_teams_and_shows_loads_only_in_scope(
    uow: FakeUnitOfWork, clock: FixedClock, world: AnalyticsWorld
) -> None:
    assert world.manager is not None
    with uow:
        chart = analytics.org_chart(uow=uow, actor=world.manager, now=clock.now())
    assert [n.team.name for n in chart.roots] == ["East", "West"]
    east, west = chart.roots
    assert [n.team.name for n in east.children] == ["East Sub"]
    assert [line.rep.name for line in east.reps] == ["Moses"]
    assert all(line.usage is not None for line in east.reps + east.children[0].reps)
    assert [line.rep.name for line in west.reps] == ["Idle", "Rosie"]
    assert all(line.usage is None for line in west.reps)
    assert chart.unassigned == []


def test_a_rep_over_capacity_says_why(
    uow: FakeUnitOfWork, clock: FixedClock, world: AnalyticsWorld
) -> None:
    with uow:
        moses = uow.reps.get(world.ids["Moses"])
        assert moses is not None
        moses.max_open = 2
        uow.commit()
    board = _dashboard(uow, clock, SYSTEM)
    line = next(line for line in board.loads if line.rep.name == "Moses")
    assert line.full == "2/2 open customers"
