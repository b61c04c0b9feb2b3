"""The dashboard's conversion period follows the data: all of it by default, and a window
with no closings (old data, such as the demo's 2017) moves back to the last one."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from fenpei.domain.users import SYSTEM
from fenpei.services import analytics
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock
from tests.services._analytics_world import AnalyticsWorld, seed_analytics_world

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(uow: FakeUnitOfWork, clock: FixedClock) -> AnalyticsWorld:
    """Closings 2, 3 and 40 days before the clock (and one won without a close time)."""
    return seed_analytics_world(uow, FakeHasher(), clock.now())


def _board(
    uow: FakeUnitOfWork, clock: FixedClock, *, later: timedelta, days: int | None
) -> analytics.Dashboard:
    with uow:
        return analytics.dashboard(
            uow=uow, actor=SYSTEM, now=clock.now() + later, zone=SHANGHAI, period_days=days
        )


def test_all_data_counts_every_closing_and_names_their_span(
    uow: FakeUnitOfWork, clock: FixedClock, world: AnalyticsWorld
) -> None:
    board = _board(uow, clock, later=timedelta(days=400), days=None)
    now = clock.now()
    assert board.closed.first == now - timedelta(days=40)
    assert board.closed.last == now - timedelta(days=2)
    assert board.closed.since is None and not board.closed.shifted
    assert sum(c.closed for c in board.by_rep) == 4  # Rosie's win without a close time too


def test_a_recent_window_with_closings_counts_back_from_now(
    uow: FakeUnitOfWork, clock: FixedClock, world: AnalyticsWorld
) -> None:
    board = _board(uow, clock, later=timedelta(0), days=30)
    assert board.closed.since == clock.now() - timedelta(days=30)
    assert not board.closed.shifted
    assert [(c.name, c.won, c.lost) for c in board.by_rep] == [("Moses", 1, 1)]


def test_an_empty_window_moves_back_to_the_last_closing(
    uow: FakeUnitOfWork, clock: FixedClock, world: AnalyticsWorld
) -> None:
    """A year on, nothing closed in the last 30 days: the 30 days up to the last closing
    are shown instead of zeros."""
    board = _board(uow, clock, later=timedelta(days=365), days=30)
    last = clock.now() - timedelta(days=2)
    assert board.closed.shifted
    assert board.closed.since == last - timedelta(days=30)
    assert [(c.name, c.won, c.lost) for c in board.by_rep] == [("Moses", 1, 1)]
    wider = _board(uow, clock, later=timedelta(days=365), days=90)
    assert wider.closed.shifted and sum(c.closed for c in wider.by_rep) == 3


def test_no_closings_at_all_leave_the_period_empty_and_unshifted(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    board = _board(uow, clock, later=timedelta(0), days=30)
    assert board.closed.last is None and not board.closed.shifted
    assert board.by_rep == []
