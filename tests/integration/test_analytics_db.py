"""The dashboard's SQL figures equal the fake's on the same data (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Actor
from fenpei.services import analytics
from fenpei.services.categories import ensure_default_categories
from fenpei.services.ports import UnitOfWork
from fenpei.services.scope import data_scope
from tests.fakes import FakeHasher, FakeUnitOfWork, in_transaction
from tests.services._analytics_world import AnalyticsWorld, seed_analytics_world

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _figures(uow: UnitOfWork, actor: Actor, app: Fenpei) -> tuple[object, ...]:
    """What the ports answered, as plain values comparable across adapters."""
    now = app.now()
    day = analytics.start_of_day(now, SHANGHAI)
    with uow:
        scope_ids = None if actor.is_admin else _scope(uow, actor)
        team_ids = scope_ids[1] if scope_ids else frozenset()
        rep_ids = scope_ids[0] if scope_ids else None
        return (
            uow.analytics.intake(
                since=day, until=day + timedelta(days=1), rep_ids=rep_ids, team_ids=team_ids
            ),
            uow.analytics.closed_by_rep(rep_ids=rep_ids, closed_since=None),
            uow.analytics.closed_by_rep(rep_ids=rep_ids, closed_since=now - timedelta(days=30)),
            uow.analytics.closed_span(rep_ids=rep_ids),
            uow.analytics.waiting(team_ids=scope_ids[1] if scope_ids else None, limit=2),
            uow.analytics.waiting(team_ids=scope_ids[1] if scope_ids else None, limit=50),
        )


def _scope(uow: UnitOfWork, actor: Actor) -> tuple[frozenset[int], frozenset[int]]:
    scope = data_scope(uow=uow, actor=actor)
    assert scope.rep_ids is not None
    return scope.rep_ids, scope.team_ids or frozenset()


@pytest.fixture
def worlds(app: Fenpei) -> tuple[FakeUnitOfWork, AnalyticsWorld, AnalyticsWorld]:
    fake = FakeUnitOfWork()
    now = app.now()
    in_transaction(fake, lambda: ensure_default_categories(uow=fake, actor=SYSTEM, now=now))
    in_fake = seed_analytics_world(fake, FakeHasher(), now)
    in_sql = seed_analytics_world(app.uow(), app.hasher, now)
    assert in_fake.ids == in_sql.ids, "the same ids on both sides, so rows compare"
    return fake, in_fake, in_sql


def test_sql_figures_equal_the_fakes_for_the_whole_company(
    app: Fenpei, worlds: tuple[FakeUnitOfWork, AnalyticsWorld, AnalyticsWorld]
) -> None:
    fake, _, _ = worlds
    sql = _figures(app.uow(), SYSTEM, app)
    assert sql == _figures(fake, SYSTEM, app)
    intake = sql[0]
    assert (intake.created, intake.owned, intake.assignments) == (3, 2, 3)  # type: ignore[attr-defined]


def test_sql_figures_equal_the_fakes_for_a_manager(
    app: Fenpei, worlds: tuple[FakeUnitOfWork, AnalyticsWorld, AnalyticsWorld]
) -> None:
    fake, in_fake, in_sql = worlds
    assert in_fake.manager is not None and in_sql.manager is not None
    assert _figures(app.uow(), in_sql.manager, app) == _figures(fake, in_fake.manager, app)


def test_the_dashboard_reads_the_same_on_sql_and_fakes(
    app: Fenpei, worlds: tuple[FakeUnitOfWork, AnalyticsWorld, AnalyticsWorld]
) -> None:
    fake, _, _ = worlds

    def shown(uow: UnitOfWork) -> tuple[object, ...]:
        with uow:
            board = analytics.dashboard(uow=uow, actor=SYSTEM, now=app.now(), zone=SHANGHAI)
        return (
            board.today,
            [(line.rep.name, line.usage) for line in board.loads],
            [(c.name, c.won, c.lost) for c in board.by_rep],
            [(c.name, c.won, c.lost) for c in board.by_team],
            board.waiting,
            board.waiting_total,
        )

    assert shown(app.uow()) == shown(fake)
