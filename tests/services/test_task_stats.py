"""Per-rep and per-team task statistics over a period, checked against a hand-built world."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.org import Rep, Team
from fenpei.domain.tasks import Task, TaskStatus
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.org import create_team
from fenpei.services.tasks.stats import TaskStats, task_stats
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_rep, bad_fields, refused

ADMIN = Actor("root", Role.admin)


def _put(uow: FakeUnitOfWork, rep: Rep, created: datetime, **fields: object) -> None:
    task = Task(
        title="t",
        created_by="root",
        created_at=created,
        assignee_id=rep.id,
        team_id=rep.team_id,
        **fields,
    )  # type: ignore[arg-type]
    in_transaction(uow, lambda: uow.tasks.add(task))


def _world(uow: FakeUnitOfWork, clock: FixedClock) -> tuple[Team, Rep, Rep, Rep]:
    east = in_transaction(
        uow, lambda: create_team(uow=uow, name="East", actor=SYSTEM, now=clock.now())
    )
    wang = a_rep(uow, clock, "Wang", team_id=east.id)
    li = a_rep(uow, clock, "Li", team_id=east.id)
    zhao = a_rep(uow, clock, "Zhao")
    now = clock.now()
    day = timedelta(days=1)
    done = TaskStatus.done
    # Wang: two done in the period (one on time, one late), one done before it, one open
    # and overdue, one open not yet due, one cancelled.
    _put(
        uow,
        wang,
        now - 10 * day,
        status=done,
        due_at=now - 5 * day,
        completed_at=now - 6 * day,
        quality=5,
        satisfaction=4,
        difficulty=2,
    )
    _put(
        uow,
        wang,
        now - 4 * day,
        status=done,
        due_at=now - 3 * day,
        completed_at=now - 2 * day,
        quality=3,
        difficulty=4,
    )
    _put(uow, wang, now - 60 * day, status=done, completed_at=now - 40 * day, quality=1)
    _put(uow, wang, now - 3 * day, due_at=now - day)
    _put(uow, wang, now - 3 * day, status=TaskStatus.in_progress, due_at=now + day)
    _put(uow, wang, now - 3 * day, status=TaskStatus.cancelled, completed_at=now - day)
    # Li: one done with no due date and no rating, 12 hours after creation.
    _put(uow, li, now - 2 * day, status=done, completed_at=now - 2 * day + timedelta(hours=12))
    # Zhao (no team): one blocked and overdue.
    _put(uow, zhao, now - 9 * day, status=TaskStatus.blocked, due_at=now - 8 * day)
    return east, wang, li, zhao


def _rep(stats: list[TaskStats], rep: Rep) -> TaskStats:
    return next(s for s in stats if s.rep_id == rep.id)


def test_rep_and_team_figures_match_the_hand_counted_world(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    east, wang, li, zhao = _world(uow, clock)
    now = clock.now()

    with uow:
        report = task_stats(
            uow=uow, actor=ADMIN, since=now - timedelta(days=30), until=now, now=now
        )

    assert _rep(report.reps, wang) == TaskStats(
        rep_id=wang.id,
        open=2,
        overdue=1,
        done=2,
        on_time_rate=0.5,
        average_quality=4.0,
        average_satisfaction=4.0,
        average_difficulty=3.0,
        average_hours_to_complete=(4 * 24 + 2 * 24) / 2,
    )
    assert _rep(report.reps, li) == TaskStats(
        rep_id=li.id,
        open=0,
        overdue=0,
        done=1,
        on_time_rate=None,
        average_quality=None,
        average_satisfaction=None,
        average_difficulty=None,
        average_hours_to_complete=12.0,
    )
    assert (_rep(report.reps, zhao).open, _rep(report.reps, zhao).overdue) == (1, 1)
    east_figures, no_team = report.teams
    assert (east_figures.team_id, no_team.team_id) == (east.id, None)
    assert (east_figures.open, east_figures.overdue, east_figures.done) == (2, 1, 3)
    assert east_figures.on_time_rate == 0.5
    assert east_figures.average_hours_to_complete == (96 + 48 + 12) / 3


def test_a_manager_sees_only_their_team_and_a_team_filter_narrows(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    east, wang, li, _ = _world(uow, clock)
    now = clock.now()
    rep_actor = Actor("Li", Role.rep, rep_id=li.id)

    with uow:
        mine = task_stats(
            uow=uow, actor=rep_actor, since=now - timedelta(days=30), until=now, now=now
        )
        east_only = task_stats(
            uow=uow,
            actor=ADMIN,
            since=now - timedelta(days=30),
            until=now,
            now=now,
            team_id=east.id,
        )

    assert [s.rep_id for s in mine.reps] == [li.id]
    assert sorted(s.rep_id or 0 for s in east_only.reps) == sorted([wang.id or 0, li.id or 0])


def test_a_period_that_ends_before_it_starts_is_refused(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    now = clock.now()
    error = refused(
        uow,
        ValidationFailed,
        lambda: task_stats(uow=uow, actor=ADMIN, since=now, until=now - timedelta(days=1), now=now),
    )
    assert bad_fields(error) == {"until"}


@pytest.mark.parametrize("days", [1, 3])
def test_the_period_decides_what_counts_as_done(
    uow: FakeUnitOfWork, clock: FixedClock, days: int
) -> None:
    _, wang, _, _ = _world(uow, clock)
    now = clock.now()
    with uow:
        report = task_stats(
            uow=uow, actor=ADMIN, since=now - timedelta(days=days), until=now, now=now
        )
    # In the last day Wang finished nothing; in the last three days, the late one.
    assert _rep(report.reps, wang).done == (0 if days == 1 else 1)
    assert _rep(report.reps, wang).open == 2
