"""Per-rep task statistics over a period, and the same by team.

For each rep with tasks: how many are open and overdue now; how many were finished in the
period; the on-time rate (finished by their due time / finished with a due time); the
average quality, satisfaction (the creator's or manager's rating) and difficulty (the
assignee's); the average hours from creation to completion. Teams add their reps' sums
(a rep counts in their current team). Plain data, for pages, the API, the CLI, and later
smart routing and analytics. Rates and averages are None where there is nothing to divide.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.users import Actor
from fenpei.services import scope
from fenpei.services.ports import RepTaskCounts, UnitOfWork


@dataclass(frozen=True)
class TaskStats:
    """One rep's or one team's figures (``rep_id`` or ``team_id`` set; a team's
    ``team_id`` is None for reps in no team)."""

    open: int
    overdue: int
    done: int
    on_time_rate: float | None  # 0-1
    average_quality: float | None
    average_satisfaction: float | None
    average_difficulty: float | None
    average_hours_to_complete: float | None
    rep_id: int | None = None
    team_id: int | None = None


@dataclass(frozen=True)
class TaskStatsReport:
    since: datetime
    until: datetime
    reps: list[TaskStats]
    teams: list[TaskStats]


def _ratio(part: float, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _figures(
    counts: Iterable[RepTaskCounts], *, rep_id: int | None = None, team_id: int | None = None
) -> TaskStats:
    rows = list(counts)
    done = sum(r.done for r in rows)
    return TaskStats(
        rep_id=rep_id,
        team_id=team_id,
        open=sum(r.open for r in rows),
        overdue=sum(r.overdue for r in rows),
        done=done,
        on_time_rate=_ratio(sum(r.done_on_time for r in rows), sum(r.done_with_due for r in rows)),
        average_quality=_ratio(
            sum(r.quality_sum for r in rows), sum(r.quality_count for r in rows)
        ),
        average_satisfaction=_ratio(
            sum(r.satisfaction_sum for r in rows), sum(r.satisfaction_count for r in rows)
        ),
        average_difficulty=_ratio(
            sum(r.difficulty_sum for r in rows), sum(r.difficulty_count for r in rows)
        ),
        average_hours_to_complete=_ratio(sum(r.completion_seconds for r in rows) / 3600, done),
    )


def task_stats(
    *,
    uow: UnitOfWork,
    actor: Actor,
    since: datetime,
    until: datetime,
    now: datetime,
    rep_ids: Iterable[int] | None = None,
    team_id: int | None = None,
) -> TaskStatsReport:
    """The figures of the reps ``actor`` may see (narrowed to ``rep_ids`` or one team's
    reps when given), tasks done in ``[since, until)``."""
    if until <= since:
        raise ValidationFailed.one("until", "must be after since")
    visible = scope.data_scope(uow=uow, actor=actor).rep_ids
    wanted: set[int] | None = None if visible is None else set(visible)
    if rep_ids is not None:
        asked = set(rep_ids)
        wanted = asked if wanted is None else wanted & asked
    if team_id is not None:
        members = {r.id for r in uow.reps.all(team_id=team_id) if r.id is not None}
        wanted = members if wanted is None else wanted & members
    counts = uow.tasks.counts_by_rep(since=since, until=until, now=now, rep_ids=wanted)
    teams: dict[int | None, list[RepTaskCounts]] = {}
    for row in counts:
        rep = uow.reps.get(row.rep_id)
        teams.setdefault(rep.team_id if rep is not None else None, []).append(row)
    return TaskStatsReport(
        since=since,
        until=until,
        reps=[_figures([row], rep_id=row.rep_id) for row in counts],
        teams=[
            _figures(rows, team_id=team)
            for team, rows in sorted(teams.items(), key=lambda item: (item[0] is None, item[0]))
        ],
    )
