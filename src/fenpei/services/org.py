"""The sales org: teams (a tree), reps with skills and capacity, leave and away."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fenpei.domain.contacts import email_problem
from fenpei.domain.errors import FieldError, NotFound, ValidationFailed
from fenpei.domain.org import SKILL_KINDS, Leave, Rep, Team
from fenpei.domain.users import Actor
from fenpei.services import _audit
from fenpei.services.ports import UnitOfWork

_LIMITS = ("max_open", "max_per_day", "max_per_week", "max_per_month")


def _clean_rep_fields(uow: UnitOfWork, raw: Mapping[str, object]) -> dict[str, object]:
    errors: list[FieldError] = []
    cleaned: dict[str, object] = {}
    for name, value in raw.items():
        problem: str | None = None
        if name == "name":
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                problem = "must be 1 to 200 characters"
            else:
                value = value.strip()
        elif name == "email":
            if value is not None and (not isinstance(value, str) or email_problem(value)):
                problem = f"{value!r} is not an email address"
        elif name == "team_id":
            if value is not None and (not isinstance(value, int) or uow.teams.get(value) is None):
                problem = f"team {value!r} does not exist"
        elif name in ("active", "away"):
            if not isinstance(value, bool):
                problem = "must be true or false"
        elif name in _LIMITS:
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                problem = "must be a whole number ≥ 0, or empty for no limit"
        elif name in ("weight", "seniority"):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
                problem = "must be a whole number from 1 to 100"
        elif name == "time_zone":
            try:
                ZoneInfo(str(value))
            except (ZoneInfoNotFoundError, ValueError):
                problem = f"{value!r} is not a time zone (e.g. Asia/Shanghai)"
        elif name == "skills":
            if not isinstance(value, dict) or not all(
                k in SKILL_KINDS and isinstance(v, list) and all(isinstance(s, str) for s in v)
                for k, v in value.items()
            ):
                problem = f"must map some of {', '.join(SKILL_KINDS)} to lists of text"
        elif name == "tags":
            if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
                problem = "must be a list of text"
        elif name == "working_hours":
            if not isinstance(value, dict):
                problem = "must be an object of weekday → [[start, end], …]"
        else:
            problem = "is not a rep field"
        if problem:
            errors.append(FieldError(name, problem))
        else:
            cleaned[name] = value
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def create_team(
    *,
    uow: UnitOfWork,
    name: str,
    actor: Actor,
    now: datetime,
    parent_id: int | None = None,
    manager_name: str | None = None,
    region: str | None = None,
) -> Team:
    """Add a team (optionally under a parent team)."""
    if not name.strip():
        raise ValidationFailed.one("name", "must not be empty")
    if uow.teams.by_name(name.strip()) is not None:
        raise ValidationFailed.one("name", f"a team named {name!r} exists")
    if parent_id is not None and uow.teams.get(parent_id) is None:
        raise ValidationFailed.one("parent_id", f"team {parent_id} does not exist")
    team = Team(
        name=name.strip(),
        parent_id=parent_id,
        manager_name=manager_name,
        region=region,
        created_at=now,
    )
    uow.teams.add(team)
    _audit.record(uow, actor=actor, action="create", obj=team, now=now)
    return team


def create_rep(
    *, uow: UnitOfWork, fields: Mapping[str, object], actor: Actor, now: datetime
) -> Rep:
    """Add a rep; every bad field is named."""
    cleaned = _clean_rep_fields(uow, fields)
    if "name" not in cleaned:
        raise ValidationFailed.one("name", "is required")
    if uow.reps.by_name(str(cleaned["name"])) is not None:
        raise ValidationFailed.one("name", f"a rep named {cleaned['name']!r} exists")
    rep = Rep(**cleaned, created_at=now, updated_at=now)  # type: ignore[arg-type]
    uow.reps.add(rep)
    _audit.record(uow, actor=actor, action="create", obj=rep, now=now)
    return rep


def get_rep(*, uow: UnitOfWork, rep_id: int) -> Rep:
    rep = uow.reps.get(rep_id)
    if rep is None:
        raise NotFound("rep", rep_id)
    return rep


def update_rep(
    *, uow: UnitOfWork, rep_id: int, fields: Mapping[str, object], actor: Actor, now: datetime
) -> Rep:
    """Change a rep's profile, capacity, availability (away / active) or skills."""
    rep = get_rep(uow=uow, rep_id=rep_id)
    cleaned = _clean_rep_fields(uow, fields)
    before = _audit.snapshot(rep)
    for name, value in cleaned.items():
        setattr(rep, name, value)
    rep.updated_at = now
    _audit.record(uow, actor=actor, action="update", obj=rep, now=now, before=before)
    return rep


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
    get_rep(uow=uow, rep_id=rep_id)
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValidationFailed.one("starts_at", "needs a time zone")
    if ends_at <= starts_at:
        raise ValidationFailed.one("ends_at", "must be after starts_at")
    leave = Leave(rep_id=rep_id, starts_at=starts_at, ends_at=ends_at, note=note)
    uow.reps.add_leave(leave)
    _audit.record(uow, actor=actor, action="create", obj=leave, now=now)
    return leave


def find_rep(*, uow: UnitOfWork, ref: str) -> Rep:
    """A rep by id ("7") or by exact name ("Moses Frase")."""
    ref = ref.strip()
    rep = uow.reps.get(int(ref)) if ref.isdigit() else uow.reps.by_name(ref)
    if rep is None:
        raise NotFound("rep", ref)
    return rep
