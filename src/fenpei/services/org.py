"""The sales org: teams (a tree), reps with skills and capacity, leave and away."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fenpei.domain.contacts import email_problem
from fenpei.domain.errors import FieldError, NotFound, ValidationFailed
from fenpei.domain.org import SKILL_KINDS, Leave, Rep, Team
from fenpei.domain.users import Actor
from fenpei.services import _audit
from fenpei.services.ports import UnitOfWork

MAX_LIMIT = 1_000_000


def _name(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 200:
        return "must be 1 to 200 characters"
    return None


def _limit(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LIMIT:
        return f"must be a whole number from 0 to {MAX_LIMIT}, or empty for no limit"
    return None


def _one_to_hundred(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        return "must be a whole number from 1 to 100"
    return None


def _flag(value: object) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _email(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 254 or email_problem(value):
        return f"{value!r} is not an email address"
    return None


def _time_zone(value: object) -> str | None:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        return f"{value!r} is not a time zone (e.g. Asia/Shanghai)"
    return None


def _skills(value: object) -> str | None:
    if isinstance(value, dict) and all(
        k in SKILL_KINDS and isinstance(v, list) and all(isinstance(s, str) for s in v)
        for k, v in value.items()
    ):
        return None
    return f"must map some of {', '.join(SKILL_KINDS)} to lists of text"


def _texts(value: object) -> str | None:
    ok = isinstance(value, list) and all(isinstance(s, str) and len(s) <= 100 for s in value)
    return None if ok else "must be a list of text (each at most 100 characters)"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d|24:00")


def _working_hours(value: object) -> str | None:
    """{"mon": [["09:00", "12:00"], ["13:00", "18:00"]], …}; a missing day is a day off."""
    problem = 'must look like {"mon": [["09:00", "18:00"]], …} with start before end'
    if not isinstance(value, dict) or not set(value) <= set(WEEKDAYS):
        return problem
    for spans in value.values():
        if not isinstance(spans, list):
            return problem
        for span in spans:
            if not (
                isinstance(span, list)
                and len(span) == 2
                and all(isinstance(t, str) and _CLOCK.fullmatch(t) for t in span)
                and span[0] < span[1]
            ):
                return problem
    return None


REP_FIELD_CHECKS: dict[str, Callable[[object], str | None]] = {
    "name": _name, "email": _email, "active": _flag, "away": _flag,
    "max_open": _limit, "max_per_day": _limit, "max_per_week": _limit, "max_per_month": _limit,
    "weight": _one_to_hundred, "seniority": _one_to_hundred, "time_zone": _time_zone,
    "skills": _skills, "tags": _texts, "working_hours": _working_hours,
    "team_id": lambda value: None,  # checked against the database below
}  # fmt: skip


def _clean_rep_fields(
    uow: UnitOfWork, raw: Mapping[str, object], *, creating: bool
) -> dict[str, object]:
    errors: list[FieldError] = []
    if creating and "name" not in raw:
        errors.append(FieldError("name", "is required"))
    for name, value in raw.items():
        check = REP_FIELD_CHECKS.get(name)
        problem = "is not a rep field" if check is None else check(value)
        if (
            name == "team_id"
            and value is not None
            and (
                isinstance(value, bool)
                or not isinstance(value, int)
                or uow.teams.get(value) is None
            )
        ):
            problem = f"team {value!r} does not exist"
        if problem:
            errors.append(FieldError(name, problem))
    if errors:
        raise ValidationFailed(errors)
    return {k: v.strip() if k == "name" and isinstance(v, str) else v for k, v in raw.items()}


def _check_name_free(uow: UnitOfWork, name: object, own_id: int | None) -> None:
    holder = uow.reps.by_name(str(name))
    if holder is not None and holder.id != own_id:
        raise ValidationFailed.one("name", f"a rep named {name!r} exists")


def _bounded(field: str, value: str | None, limit: int) -> str | None:
    if value is not None and len(value.strip()) > limit:
        raise ValidationFailed.one(field, f"is longer than {limit} characters")
    return value.strip() or None if value is not None else None


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
    if problem := _name(name):
        raise ValidationFailed.one("name", problem)
    manager_name = _bounded("manager_name", manager_name, 200)
    region = _bounded("region", region, 100)
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
    cleaned = _clean_rep_fields(uow, fields, creating=True)
    _check_name_free(uow, cleaned["name"], None)
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
    cleaned = _clean_rep_fields(uow, fields, creating=False)
    if "name" in cleaned:
        _check_name_free(uow, cleaned["name"], rep.id)
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
    note = _bounded("note", note, 500)
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
