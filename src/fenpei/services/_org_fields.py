"""Checking the fields of a rep or a team, naming each bad one (shared by services.org)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fenpei.domain.contacts import email_problem
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.limits import date_problem, text_problem
from fenpei.domain.org import (
    MAX_LABEL_LENGTH,
    MAX_SKILLS_PER_KIND,
    MAX_SPANS_PER_DAY,
    MAX_TAGS,
    SKILL_KINDS,
    Team,
)
from fenpei.domain.phrases import Phrase, length, required, too_long, whole_number
from fenpei.domain.users import Role
from fenpei.services.ports import UnitOfWork

MAX_LIMIT = 1_000_000


def _has_nul(value: str) -> bool:
    # PostgreSQL stores no NUL character in text or JSON: refuse it here, not with a 500.
    return "\x00" in value


def name_problem(value: object) -> str | None:
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value.strip()) > 200
        or _has_nul(value)
    ):
        return length(1, 200)
    return None


MAX_TASK_CAPACITY = Decimal(10_000)  # hours of open tasks; the column holds 8 digits


def task_capacity(value: object) -> Decimal | None:
    """A task capacity as typed (a number or numeric text; empty: no limit), to two
    decimals; ValueError when it is not one from 0 to ``MAX_TASK_CAPACITY``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(value)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(value) from None
    if not amount.is_finite() or not 0 <= amount <= MAX_TASK_CAPACITY:
        raise ValueError(value)
    return amount.quantize(Decimal("0.01"))


def _task_capacity(value: object) -> str | None:
    try:
        task_capacity(value)
    except ValueError:
        return Phrase(
            "task_capacity",
            "must be a number of hours from 0 to {high}, or empty for no limit",
            high=int(MAX_TASK_CAPACITY),
        )
    return None


def _limit(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LIMIT:
        return Phrase(
            "limit",
            "must be a whole number from 0 to {high}, or empty for no limit",
            high=MAX_LIMIT,
        )
    return None


def _one_to_hundred(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        return whole_number(1, 100)
    return None


def _flag(value: object) -> str | None:
    return None if isinstance(value, bool) else Phrase("flag", "must be true or false")


def _email(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 254 or email_problem(value):
        return Phrase("email", "{value!r} is not an email address", value=value)
    return None


def _time_zone(value: object) -> str | None:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        return f"{value!r} is not a time zone (e.g. Asia/Shanghai)"
    return None


def _labels(value: object, most: int, what: str) -> str | None:
    """Why ``value`` is not a list of at most ``most`` short texts, or None. The size is
    checked first, before any item is looked at."""
    if not isinstance(value, list):
        return f"must be a list of {what}"
    if len(value) > most:
        return f"lists {len(value)} {what}; at most {most}"
    for position, item in enumerate(value):
        if not isinstance(item, str) or len(item) > MAX_LABEL_LENGTH:
            return f"item {position}: must be text of at most {MAX_LABEL_LENGTH} characters"
        if problem := text_problem(item):
            return f"item {position}: {problem}"
    return None


def _skills(value: object) -> str | None:
    kinds = ", ".join(SKILL_KINDS)
    if not isinstance(value, dict) or not all(k in SKILL_KINDS for k in value):
        return f"must map some of {kinds} to lists of skills"
    for kind, skills in value.items():
        if problem := _labels(skills, MAX_SKILLS_PER_KIND, "skills"):
            return f"{kind}: {problem}"
    return None


def _tags(value: object) -> str | None:
    return _labels(value, MAX_TAGS, "tags")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d|24:00")


def _working_hours(value: object) -> str | None:
    """{"mon": [["09:00", "12:00"], ["13:00", "18:00"]], …}; a missing day is a day off."""
    problem = 'must look like {"mon": [["09:00", "18:00"]], …} with start before end'
    if not isinstance(value, dict) or not set(value) <= set(WEEKDAYS):
        return problem
    for day, spans in value.items():
        if not isinstance(spans, list):
            return problem
        if len(spans) > MAX_SPANS_PER_DAY:
            return f"{day}: at most {MAX_SPANS_PER_DAY} periods a day"
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
    "name": name_problem, "email": _email, "active": _flag, "away": _flag,
    "max_open": _limit, "max_per_day": _limit, "max_per_week": _limit, "max_per_month": _limit,
    "task_capacity": _task_capacity,
    "weight": _one_to_hundred, "seniority": _one_to_hundred, "time_zone": _time_zone,
    "skills": _skills, "tags": _tags, "working_hours": _working_hours,
    "team_id": lambda value: None,  # checked against the database below
}  # fmt: skip


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**31


def clean_rep_fields(
    uow: UnitOfWork, raw: Mapping[str, object], *, creating: bool
) -> dict[str, object]:
    """The fields with names trimmed; ValidationFailed names every bad one."""
    errors: list[FieldError] = []
    if creating and "name" not in raw:
        errors.append(FieldError("name", required()))
    for name, value in raw.items():
        check = REP_FIELD_CHECKS.get(name)
        problem = "is not a rep field" if check is None else check(value)
        if (
            name == "team_id"
            and value is not None
            and (not _is_id(value) or uow.teams.get(value) is None)  # type: ignore[arg-type]
        ):
            problem = f"team {value!r} does not exist"
        if problem:
            errors.append(FieldError(name, problem))
    if errors:
        raise ValidationFailed(errors)
    cleaned = {k: v.strip() if k == "name" and isinstance(v, str) else v for k, v in raw.items()}
    if "task_capacity" in cleaned:
        cleaned["task_capacity"] = task_capacity(cleaned["task_capacity"])
    return cleaned


def check_rep_name_free(uow: UnitOfWork, name: object, own_id: int | None) -> None:
    holder = uow.reps.by_name(str(name))
    if holder is not None and holder.id != own_id:
        raise ValidationFailed.one("name", f"a rep named {name!r} exists")


def bounded(field: str, value: str | None, limit: int) -> str | None:
    """``value`` trimmed, blank as None; ValidationFailed if longer than ``limit``."""
    if value is None:
        return None
    if not isinstance(value, str) or _has_nul(value):
        raise ValidationFailed.one(
            field, Phrase("text_at_most", "must be text of at most {limit} characters", limit=limit)
        )
    if len(value.strip()) > limit:
        raise ValidationFailed.one(field, too_long(limit))
    return value.strip() or None


def aware_utc(field: str, value: datetime) -> datetime:
    """``value`` if it has a zone and falls in the range every page can show
    (``limits.date_problem``), so its UTC equivalent and a day either side exist too."""
    if value.tzinfo is None:
        raise ValidationFailed.one(field, "needs a time zone")
    if problem := date_problem(value):
        raise ValidationFailed.one(field, problem)
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValidationFailed.one(field, "is out of the supported date range") from None
    return value


# --- teams -------------------------------------------------------------------------------------

TEAM_TEXT_LIMITS = {"manager_name": 200, "region": 100}


def _parent_problem(uow: UnitOfWork, parent_id: object, team: Team | None) -> str | None:
    if parent_id is None:
        return None
    if not _is_id(parent_id) or uow.teams.get(parent_id) is None:  # type: ignore[arg-type]
        return f"team {parent_id!r} does not exist"
    if team is None:
        return None
    if parent_id == team.id:
        return "a team cannot be its own parent"
    parents = {t.id: t.parent_id for t in uow.teams.all()}
    seen: set[int] = set()
    above: int | None = parent_id  # type: ignore[assignment]
    while above is not None and above not in seen:
        if above == team.id:
            return f"team {parent_id} is inside team {team.name!r}; that would make a cycle"
        seen.add(above)
        above = parents.get(above)
    return None


def _manager_problem(uow: UnitOfWork, user_id: object) -> str | None:
    if user_id is None:
        return None
    user = uow.users.get(user_id) if _is_id(user_id) else None  # type: ignore[arg-type]
    if user is None:
        return f"user {user_id!r} does not exist"
    if user.role is not Role.manager:
        return f"user {user.username!r} is a {user.role.value}, not a manager"
    return None


def clean_team_fields(
    uow: UnitOfWork, raw: Mapping[str, object], *, team: Team | None
) -> dict[str, object]:
    """The fields trimmed (blank text as None); ValidationFailed names every bad one.

    Naming a manager user without a ``manager_name`` shows that user's name."""
    errors: list[FieldError] = []
    cleaned: dict[str, object] = {}
    for key, value in raw.items():
        problem: str | None
        if key == "name":
            problem = name_problem(value)
            holder = None if problem else uow.teams.by_name(str(value).strip())
            if holder is not None and (team is None or holder.id != team.id):
                problem = f"a team named {str(value).strip()!r} exists"
        elif key == "parent_id":
            problem = _parent_problem(uow, value, team)
        elif key == "manager_user_id":
            problem = _manager_problem(uow, value)
        elif key in TEAM_TEXT_LIMITS:
            try:
                value = bounded(key, value, TEAM_TEXT_LIMITS[key])  # type: ignore[arg-type]
                problem = None
            except ValidationFailed as exc:
                problem = exc.errors[0].message
        else:
            problem = "is not a team field"
        if problem:
            errors.append(FieldError(key, problem))
        cleaned[key] = value.strip() if key == "name" and isinstance(value, str) else value
    if errors:
        raise ValidationFailed(errors)
    if "manager_user_id" in cleaned and "manager_name" not in raw:
        manager_id = cleaned["manager_user_id"]
        user = uow.users.get(manager_id) if isinstance(manager_id, int) else None
        cleaned["manager_name"] = (user.display_name or user.username) if user else None
    return cleaned
