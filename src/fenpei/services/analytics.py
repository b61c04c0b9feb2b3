"""What a manager watches (监控): today's intake, each rep's load against capacity,
conversions by rep and team, and the customers still waiting for an owner; and the org
chart with everyone's load.

Pure composition over read ports: ``uow.analytics`` for the counts, ``uow.routing`` for the
loads routing itself weighs, ``uow.reps`` / ``uow.teams`` for names. Figures cover the
actor's data scope (a manager: their team tree), as everywhere (see ``services.scope``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from fenpei.domain.errors import PermissionDenied
from fenpei.domain.org import Rep, Team
from fenpei.domain.users import Actor, Role
from fenpei.engine.capacity import Usage, capacity_breach
from fenpei.services.ports import ClosedCounts, IntakeCounts, UnitOfWork, WaitingCustomer
from fenpei.services.rep_status import (
    DefaultCapacity,
    RepStatus,
    default_capacity,
    rep_statuses,
    status_kind,
)
from fenpei.services.scope import DataScope, data_scope

DASHBOARD_ROLES = frozenset({Role.admin, Role.manager})


@dataclass(frozen=True)
class RepLoadLine:
    """A rep with what they hold and received against their limits, and their status as
    routing sees it now; ``usage`` is None when the rep's load is outside the viewer's data
    scope (the status is shown all the same, its reason only within scope)."""

    rep: Rep
    usage: Usage | None
    status: RepStatus

    @property
    def full(self) -> str | None:
        """Why the rep can take no more now (``3/3 open customers``), or None."""
        return None if self.usage is None else capacity_breach(self.rep.capacity, self.usage)

    @property
    def share(self) -> float | None:
        """Open customers as a fraction of ``max_open`` (None: no limit or not visible)."""
        if self.usage is None or not self.rep.max_open:
            return None
        return self.usage.open_count / self.rep.max_open


@dataclass(frozen=True)
class Conversion:
    """Won and lost customers of one rep or team; ``rate`` is won / closed."""

    id: int | None
    name: str
    won: int
    lost: int

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def rate(self) -> float | None:
        return self.won / self.closed if self.closed else None


@dataclass(frozen=True)
class ClosedRange:
    """Which closings the conversion figures count. ``days`` asked for (None: all of them);
    ``since`` the first close time counted (None: all); ``first`` / ``last`` the span of
    the closings in scope. ``shifted``: the last ``days`` before now held none, so the
    period ends at the last closing instead (old data, such as the demo's 2017, still
    shows a period with figures)."""

    days: int | None
    since: datetime | None
    first: datetime | None
    last: datetime | None
    shifted: bool = False


def closed_range(
    *, uow: UnitOfWork, rep_ids: Iterable[int] | None, now: datetime, days: int | None
) -> ClosedRange:
    """The last ``days`` before now, or before the last closing when those held none."""
    span = uow.analytics.closed_span(rep_ids=None if rep_ids is None else frozenset(rep_ids))
    first, last = span if span is not None else (None, None)
    if days is None:
        return ClosedRange(None, None, first, last)
    since = now - timedelta(days=days)
    if last is not None and last < since:
        return ClosedRange(days, last - timedelta(days=days), first, last, shifted=True)
    return ClosedRange(days, since, first, last)


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows, for one viewer at one moment."""

    today: IntakeCounts
    day_start: datetime
    loads: list[RepLoadLine]
    default_capacity: DefaultCapacity | None
    by_rep: list[Conversion]
    by_team: list[Conversion]
    waiting: list[WaitingCustomer]
    waiting_total: int
    team_names: dict[int, str]
    whole_company: bool
    closed: ClosedRange


def start_of_day(now: datetime, zone: tzinfo) -> datetime:
    """Midnight of ``now``'s date in ``zone``: where "today" begins for the viewer."""
    return datetime.combine(now.astimezone(zone).date(), time(), tzinfo=zone)


def end_of_day(now: datetime, zone: tzinfo) -> datetime:
    """The next midnight in ``zone`` (a day may be 23 or 25 hours long where clocks change)."""
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(), tzinfo=zone)


def require_dashboard(actor: Actor) -> None:
    if actor.role not in DASHBOARD_ROLES:
        raise PermissionDenied("only an admin or a manager may see the dashboard")


def _team_conversions(
    closed: list[ClosedCounts], reps: dict[int, Rep], teams: dict[int, Team]
) -> list[Conversion]:
    totals: dict[int, tuple[int, int]] = {}
    for row in closed:
        rep = reps.get(row.rep_id)
        if rep is None or rep.team_id is None:
            continue
        won, lost = totals.get(rep.team_id, (0, 0))
        totals[rep.team_id] = (won + row.won, lost + row.lost)
    found = [
        Conversion(team_id, teams[team_id].name, won, lost)
        for team_id, (won, lost) in totals.items()
        if team_id in teams
    ]
    return sorted(found, key=lambda c: (-(c.rate or 0), c.name))


def dashboard(
    *,
    uow: UnitOfWork,
    actor: Actor,
    now: datetime,
    zone: tzinfo,
    period_days: int | None = None,
    waiting_limit: int = 50,
) -> Dashboard:
    """The dashboard's figures within the actor's scope (admins and managers only);
    conversions count closings in the last ``period_days`` that hold any (see
    ``closed_range``), or all of them."""
    require_dashboard(actor)
    scope = data_scope(uow=uow, actor=actor)
    day_start = start_of_day(now, zone)
    team_ids = scope.team_ids or frozenset()
    today = uow.analytics.intake(
        since=day_start, until=end_of_day(now, zone), rep_ids=scope.rep_ids, team_ids=team_ids
    )
    all_reps = {r.id: r for r in uow.reps.all() if r.id is not None}
    teams = {t.id: t for t in uow.teams.all() if t.id is not None}
    loads = rep_loads(uow=uow, reps=all_reps.values(), scope=scope, now=now, active_only=True)
    period = closed_range(uow=uow, rep_ids=scope.rep_ids, now=now, days=period_days)
    closed = uow.analytics.closed_by_rep(rep_ids=scope.rep_ids, closed_since=period.since)
    by_rep = sorted(
        (
            Conversion(row.rep_id, all_reps[row.rep_id].name, row.won, row.lost)
            for row in closed
            if row.rep_id in all_reps
        ),
        key=lambda c: (-(c.rate or 0), c.name),
    )
    waiting, waiting_total = uow.analytics.waiting(team_ids=scope.team_ids, limit=waiting_limit)
    return Dashboard(
        today=today,
        day_start=day_start,
        loads=[line for line in loads if line.usage is not None],
        default_capacity=default_capacity(uow=uow),
        by_rep=by_rep,
        by_team=_team_conversions(closed, all_reps, teams),
        waiting=waiting,
        waiting_total=waiting_total,
        team_names={team_id: team.name for team_id, team in teams.items()},
        whole_company=scope.unrestricted,
        closed=period,
    )


def rep_loads(
    *,
    uow: UnitOfWork,
    reps: Iterable[Rep],
    scope: DataScope,
    now: datetime,
    active_only: bool = False,
) -> list[RepLoadLine]:
    """Each rep with their load and status, sorted by name; loads are read in one query,
    and shown only for the reps ``scope`` covers (the others get ``usage=None``)."""
    chosen = sorted(
        (r for r in reps if r.active or not active_only), key=lambda r: (r.name, r.id or 0)
    )
    ids = [r.id for r in chosen if r.id is not None]
    loads = uow.routing.loads(now=now, rep_ids=ids) if ids else {}
    statuses = rep_statuses(uow=uow, reps=chosen, now=now, loads=loads)
    return [
        RepLoadLine(
            rep,
            loads[rep.id].usage if rep.id in loads and scope.covers_rep(rep) else None,
            statuses[rep.id] if rep.id is not None else RepStatus(status_kind(None)),
        )
        for rep in chosen
    ]


@dataclass(frozen=True)
class TeamNode:
    """A team in the org chart with its reps (and their load) and its sub-teams."""

    team: Team
    reps: list[RepLoadLine]
    children: list[TeamNode]


@dataclass(frozen=True)
class OrgChart:
    """The team tree from its roots, and the reps who belong to no team."""

    roots: list[TeamNode]
    unassigned: list[RepLoadLine]
    default_capacity: DefaultCapacity | None


def org_chart(*, uow: UnitOfWork, actor: Actor, now: datetime) -> OrgChart:
    """Every team as a tree with its reps; anyone logged in reads it, loads only within
    their data scope."""
    scope = data_scope(uow=uow, actor=actor)
    teams = sorted(uow.teams.all(), key=lambda t: (t.name, t.id or 0))
    lines = rep_loads(uow=uow, reps=uow.reps.all(), scope=scope, now=now)
    by_team: dict[int | None, list[RepLoadLine]] = {}
    for line in lines:
        by_team.setdefault(line.rep.team_id, []).append(line)
    known = {t.id for t in teams}
    children: dict[int | None, list[Team]] = {}
    for team in teams:
        parent = team.parent_id if team.parent_id in known else None
        children.setdefault(parent, []).append(team)

    def node(team: Team, seen: frozenset[int]) -> TeamNode:
        below = [
            node(child, seen | {team.id or 0})
            for child in children.get(team.id, [])
            if child.id not in seen
        ]
        return TeamNode(team, by_team.get(team.id, []), below)

    return OrgChart(
        roots=[node(team, frozenset()) for team in children.get(None, [])],
        unassigned=[line for line in lines if line.rep.team_id not in known],
        default_capacity=default_capacity(uow=uow),
    )
