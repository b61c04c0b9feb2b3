"""The sales org: teams (a tree), reps with skills and capacity, leave and away.

Who may change what: an admin changes everything; a manager changes, for the reps in the
teams they manage (and every sub-team), only availability, capacity, skills, weight,
working hours and leave; a rep only switches their own ``away``; an auditor only reads.
A rep outside one's scope is not found, as everywhere (see ``services.scope``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from fenpei.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.org import Leave, Rep, Team
from fenpei.domain.users import Actor, Role
from fenpei.engine.capacity import Usage
from fenpei.services import _audit
from fenpei.services._org_fields import (
    REP_FIELD_CHECKS,
    aware_utc,
    bounded,
    check_rep_name_free,
    clean_rep_fields,
    clean_team_fields,
)
from fenpei.services.ports import UnitOfWork
from fenpei.services.rep_status import DefaultCapacity, RepStatus, default_capacity, rep_statuses
from fenpei.services.scope import data_scope, require_admin, visible_rep

# What a manager may change for a rep in their team tree: availability and load, not who
# the rep is or where they sit (name, email, team, seniority and tags are the admin's).
MANAGER_REP_FIELDS = frozenset(
    {"away", "active", "max_open", "max_per_day", "max_per_week", "max_per_month",
     "task_capacity", "weight", "skills", "working_hours", "time_zone"}
)  # fmt: skip
OWN_REP_FIELDS = frozenset({"away"})


# --- teams -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamView:
    """A team with the reps in it and its direct sub-teams, each by name."""

    team: Team
    reps: list[Rep]
    sub_teams: list[Team]


def _team(uow: UnitOfWork, team_id: int) -> Team:
    team = uow.teams.get(team_id)
    if team is None:
        raise NotFound("team", team_id)
    return team


def _some(names: Iterable[str], shown: int = 3) -> str:
    """The first few names, with an ellipsis if there are more: ``a, b, c …``."""
    listed = list(names)
    return ", ".join(listed[:shown]) + (" …" if len(listed) > shown else "")


def create_team(
    *,
    uow: UnitOfWork,
    name: str,
    actor: Actor,
    now: datetime,
    parent_id: int | None = None,
    manager_user_id: int | None = None,
    manager_name: str | None = None,
    region: str | None = None,
) -> Team:
    """Add a team (optionally under a parent team, with a manager user who sees its reps)."""
    require_admin(actor, "create teams")
    given: dict[str, object] = {"name": name, "parent_id": parent_id, "region": region}
    if manager_user_id is not None:
        given["manager_user_id"] = manager_user_id
    if manager_name is not None or manager_user_id is None:
        given["manager_name"] = manager_name
    team = Team(**clean_team_fields(uow, given, team=None), created_at=now)  # type: ignore[arg-type]
    uow.teams.add(team)
    _audit.record(uow, actor=actor, action="create", obj=team, now=now)
    return team


def update_team(
    *, uow: UnitOfWork, team_id: int, fields: Mapping[str, object], actor: Actor, now: datetime
) -> Team:
    """Rename a team, move it under another parent (never under itself) or set its manager."""
    require_admin(actor, "change teams")
    team = _team(uow, team_id)
    cleaned = clean_team_fields(uow, fields, team=team)
    before = _audit.snapshot(team)
    for name, value in cleaned.items():
        setattr(team, name, value)
    _audit.record(uow, actor=actor, action="update", obj=team, now=now, before=before)
    return team


class TeamNotEmpty(Conflict):
    """A team still holds reps or sub-teams, or rules send customers to it: each by name, so
    an entrypoint can say it in its own words."""

    def __init__(self, team: Team, reps: list[str], sub_teams: list[str], rules: list[str]):
        self.team_name, self.reps, self.sub_teams, self.rules = team.name, reps, sub_teams, rules
        reasons = []
        if reps:
            reasons.append(f"{len(reps)} rep(s) ({_some(reps)})")
        if sub_teams:
            reasons.append(f"{len(sub_teams)} sub-team(s) ({_some(sub_teams)})")
        if rules:
            reasons.append(
                f"{len(rules)} rule(s) sending customers to it ({_some(repr(r) for r in rules)})"
            )
        super().__init__(
            f"team {team.name!r} still has {' and '.join(reasons)}; move or change them first"
        )


def delete_team(*, uow: UnitOfWork, team_id: int, actor: Actor, now: datetime) -> None:
    """Remove an empty team; one with reps, sub-teams or rules aimed at it is refused."""
    require_admin(actor, "delete teams")
    team = _team(uow, team_id)
    reps = [r.name for r in uow.reps.all(team_id=team_id)]
    sub_teams = [t.name for t in uow.teams.all() if t.parent_id == team_id]
    rules = [r.name for r in uow.rules.active() if r.target.get("team_id") == team_id]
    if reps or sub_teams or rules:
        raise TeamNotEmpty(team, reps, sub_teams, rules)
    _audit.record(uow, actor=actor, action="delete", obj=team, now=now)
    uow.teams.delete(team)


def view_team(*, uow: UnitOfWork, team_id: int) -> TeamView:
    """A team with its reps and sub-teams; every logged-in user may read the org chart."""
    team = _team(uow, team_id)
    sub_teams = [t for t in uow.teams.all() if t.parent_id == team_id]
    return TeamView(team=team, reps=uow.reps.all(team_id=team_id), sub_teams=sub_teams)


# --- reps --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepView:
    """A rep, their current load (None outside the actor's data scope), their status as
    routing sees it now, and what load-weighing rules count them against without max_open."""

    rep: Rep
    usage: Usage | None
    status: RepStatus
    default_capacity: DefaultCapacity | None


def create_rep(
    *, uow: UnitOfWork, fields: Mapping[str, object], actor: Actor, now: datetime
) -> Rep:
    """Add a rep; every bad field is named."""
    require_admin(actor, "add reps")
    cleaned = clean_rep_fields(uow, fields, creating=True)
    check_rep_name_free(uow, cleaned["name"], None)
    rep = Rep(**cleaned, created_at=now, updated_at=now)  # type: ignore[arg-type]
    uow.reps.add(rep)
    _audit.record(uow, actor=actor, action="create", obj=rep, now=now)
    return rep


def get_rep(*, uow: UnitOfWork, rep_id: int) -> Rep:
    """A rep by id, or NotFound."""
    rep = uow.reps.get(rep_id)
    if rep is None:
        raise NotFound("rep", rep_id)
    return rep


def view_rep(*, uow: UnitOfWork, rep_id: int, actor: Actor, now: datetime) -> RepView:
    """A rep's profile for anyone logged in; their load only for those whose scope holds them."""
    rep = get_rep(uow=uow, rep_id=rep_id)
    in_scope = data_scope(uow=uow, actor=actor).covers_rep(rep)
    return RepView(
        rep=rep,
        usage=uow.reps.usage(rep_id, now=now) if in_scope else None,
        status=rep_statuses(uow=uow, reps=[rep], now=now)[rep_id],
        default_capacity=default_capacity(uow=uow),
    )


def _rep_to_change(uow: UnitOfWork, rep_id: int, fields: Mapping[str, object], actor: Actor) -> Rep:
    """The rep, if ``actor`` may change these fields of it (see the module docstring)."""
    if actor.is_admin:
        return get_rep(uow=uow, rep_id=rep_id)
    allowed = {Role.manager: MANAGER_REP_FIELDS, Role.rep: OWN_REP_FIELDS}.get(actor.role)
    if allowed is None:
        raise PermissionDenied(f"a {actor.role.value} may not change reps")
    # Unknown keys are left to validation, which names them.
    if refused := sorted(k for k in fields if k in REP_FIELD_CHECKS and k not in allowed):
        whose = "their own" if actor.role is Role.rep else "a rep's"
        raise PermissionDenied(
            f"a {actor.role.value} may change only {', '.join(sorted(allowed))} of {whose}"
            f" profile, not {', '.join(refused)}"
        )
    return visible_rep(data_scope(uow=uow, actor=actor), uow.reps.get(rep_id), rep_id)


def update_rep(
    *, uow: UnitOfWork, rep_id: int, fields: Mapping[str, object], actor: Actor, now: datetime
) -> Rep:
    """Change a rep's profile, capacity, availability (away / active) or skills."""
    rep = _rep_to_change(uow, rep_id, fields, actor)
    cleaned = clean_rep_fields(uow, fields, creating=False)
    if "name" in cleaned:
        check_rep_name_free(uow, cleaned["name"], rep.id)
    before = _audit.snapshot(rep)
    moved_zone = cleaned.get("time_zone", rep.time_zone) != rep.time_zone
    for name, value in cleaned.items():
        setattr(rep, name, value)
    rep.updated_at = now
    if moved_zone:  # intake counts belong to local days: count them again in the new zone
        assert rep.id is not None
        uow.routing.store_loads(now=now, loads=uow.routing.recount_loads(now=now, rep_ids=[rep.id]))
    _audit.record(uow, actor=actor, action="update", obj=rep, now=now, before=before)
    return rep


def find_rep(*, uow: UnitOfWork, ref: str) -> Rep:
    """A rep by id ("7") or by exact name ("Moses Frase")."""
    ref = ref.strip()
    rep = uow.reps.get(int(ref)) if ref.isdigit() else uow.reps.by_name(ref)
    if rep is None:
        raise NotFound("rep", ref)
    return rep


# --- leave -------------------------------------------------------------------------------------


def _leave_keeper(uow: UnitOfWork, rep_id: int, actor: Actor) -> Rep:
    """The rep, if ``actor`` is an admin or manages a team the rep is in."""
    if actor.role not in (Role.admin, Role.manager):
        raise PermissionDenied("only an admin or the rep's manager may change leave")
    return visible_rep(data_scope(uow=uow, actor=actor), uow.reps.get(rep_id), rep_id)


def add_leave(
    *,
    uow: UnitOfWork,
    rep_id: int,
    starts_at: datetime,
    ends_at: datetime,
    actor: Actor,
    now: datetime,
    note: str | None = None,
) -> Leave:
    """Record a leave period (a half day is just a shorter one)."""
    _leave_keeper(uow, rep_id, actor)
    aware_utc("starts_at", starts_at)
    aware_utc("ends_at", ends_at)
    if ends_at <= starts_at:
        raise ValidationFailed.one("ends_at", "must be after starts_at")
    note = bounded("note", note, 500)
    leave = Leave(rep_id=rep_id, starts_at=starts_at, ends_at=ends_at, note=note)
    uow.reps.add_leave(leave)
    _audit.record(uow, actor=actor, action="create", obj=leave, now=now)
    return leave


def list_leaves(*, uow: UnitOfWork, rep_id: int, actor: Actor) -> list[Leave]:
    """A rep's leave periods, earliest first, for anyone whose data scope holds the rep."""
    visible_rep(data_scope(uow=uow, actor=actor), uow.reps.get(rep_id), rep_id)
    return uow.reps.leaves(rep_id)


def delete_leave(
    *, uow: UnitOfWork, rep_id: int, leave_id: int, actor: Actor, now: datetime
) -> None:
    """Cancel one of a rep's leave periods."""
    _leave_keeper(uow, rep_id, actor)
    leave = uow.reps.get_leave(leave_id)
    if leave is None or leave.rep_id != rep_id:
        raise NotFound("leave", leave_id)
    _audit.record(uow, actor=actor, action="delete", obj=leave, now=now)
    uow.reps.delete_leave(leave)
