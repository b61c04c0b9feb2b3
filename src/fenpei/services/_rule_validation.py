"""Checking a rule as a whole and turning it into the engine's ``RoutingRule``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.rules import Rule
from fenpei.engine.conditions import parse_conditions
from fenpei.engine.fields import field_catalog
from fenpei.engine.model import EffectiveWindow, Fallback, RoutingRule, Target, TargetKind
from fenpei.engine.strategies import STRATEGIES, validate_options
from fenpei.services.ports import UnitOfWork

MATCH_KEYS = ("company", "email_domain", "phone")


MAX_ID = 2**31 - 1


def _is_id(value: object) -> TypeGuard[int]:
    """A possible row id: a whole number a database integer column can hold."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def _target(raw: object, uow: UnitOfWork, errors: list[FieldError]) -> Target | None:
    if not isinstance(raw, dict) or "kind" not in raw:
        errors.append(FieldError("target", "must be an object with a kind"))
        return None
    try:
        kind = TargetKind(raw["kind"])
    except ValueError:
        allowed = ", ".join(k.value for k in TargetKind)
        errors.append(FieldError("target.kind", f"{raw['kind']!r} is not one of {allowed}"))
        return None
    rep_ids = raw.get("rep_ids", [])
    team_id = raw.get("team_id")
    if kind is TargetKind.reps:
        if not isinstance(rep_ids, list) or not rep_ids or not all(_is_id(i) for i in rep_ids):
            errors.append(FieldError("target.rep_ids", "list at least one rep id"))
        else:
            for position, rep_id in enumerate(rep_ids):
                if uow.reps.get(rep_id) is None:
                    errors.append(
                        FieldError(f"target.rep_ids[{position}]", f"rep {rep_id} does not exist")
                    )
    if kind is TargetKind.team and (not _is_id(team_id) or uow.teams.get(team_id) is None):
        errors.append(FieldError("target.team_id", f"team {team_id!r} does not exist"))
    skill = raw.get("skill")
    if kind is TargetKind.skill and (not isinstance(skill, str) or not skill.strip()):
        errors.append(FieldError("target.skill", "name a skill (industries:retail) or a tag"))
    if not isinstance(raw.get("include_subteams", True), bool):
        errors.append(FieldError("target.include_subteams", "must be true or false"))
    match_on = raw.get("match_on", list(MATCH_KEYS))
    if not isinstance(match_on, list) or not match_on or not set(match_on) <= set(MATCH_KEYS):
        errors.append(FieldError("target.match_on", f"use some of {', '.join(MATCH_KEYS)}"))
    pool = raw.get("pool")
    if pool is not None and (not isinstance(pool, str) or not 1 <= len(pool) <= 100):
        errors.append(FieldError("target.pool", "must be 1 to 100 characters"))
    if unknown := set(raw) - {
        "kind",
        "rep_ids",
        "team_id",
        "include_subteams",
        "skill",
        "pool",
        "match_on",
    }:
        errors.append(FieldError("target", f"unknown keys {', '.join(sorted(unknown))}"))
    if errors:
        return None
    return Target(
        kind=kind,
        rep_ids=tuple(rep_ids),
        team_id=team_id,
        include_subteams=bool(raw.get("include_subteams", True)),
        skill=skill,
        pool=pool,
        match_on=tuple(match_on),
    )


def _window(raw: object, errors: list[FieldError]) -> EffectiveWindow | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.append(FieldError("window", "must be an object"))
        return None
    before = len(errors)
    if unknown := set(raw) - {"time_zone", "starts_on", "ends_on", "weekdays", "hours"}:
        errors.append(FieldError("window", f"unknown keys {', '.join(sorted(unknown))}"))
    zone = raw.get("time_zone", "Asia/Shanghai")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("window.time_zone", f"{zone!r} is not a time zone"))
    days: dict[str, date | None] = {}
    for key in ("starts_on", "ends_on"):
        try:
            days[key] = date.fromisoformat(raw[key]) if raw.get(key) else None
        except (TypeError, ValueError):
            errors.append(FieldError(f"window.{key}", "must be a date YYYY-MM-DD"))
    weekdays = raw.get("weekdays", list(range(7)))
    if not isinstance(weekdays, list) or not weekdays or not set(weekdays) <= set(range(7)):
        errors.append(FieldError("window.weekdays", "list weekdays 0 (Monday) to 6 (Sunday)"))
    hours = raw.get("hours")
    if hours is not None and not (
        isinstance(hours, list)
        and len(hours) == 2
        and all(isinstance(h, str) for h in hours)
        and _clock_ok(hours[0])
        and _clock_ok(hours[1])
        and hours[0] < hours[1]
    ):
        errors.append(FieldError("window.hours", 'must be ["HH:MM", "HH:MM"], start first'))
    first, last = days.get("starts_on"), days.get("ends_on")
    if first is not None and last is not None and first > last:
        errors.append(FieldError("window.ends_on", "must not be before starts_on"))
    if len(errors) > before:
        return None
    return EffectiveWindow(
        time_zone=str(zone),
        starts_on=days["starts_on"],
        ends_on=days["ends_on"],
        weekdays=frozenset(weekdays),
        hours=(hours[0], hours[1]) if hours else None,
    )


def _clock_ok(text: str) -> bool:
    return (
        len(text) == 5
        and text[2] == ":"
        and text[:2].isdigit()
        and text[3:].isdigit()
        and ((int(text[:2]) < 24 and int(text[3:]) < 60) or text == "24:00")
    )


def engine_rule(uow: UnitOfWork, rule: Rule, *, check_refs: bool = False) -> RoutingRule:
    """The rule as the engine runs it (id 0 while unsaved); raises ValidationFailed naming
    every bad part. ``check_refs`` also checks that the reps and team it names exist."""
    errors: list[FieldError] = []
    if (
        not isinstance(rule.name, str)
        or rule.name != rule.name.strip()
        or not 1 <= len(rule.name) <= 200
    ):
        errors.append(FieldError("name", "must be 1 to 200 characters, without outer spaces"))
    if not isinstance(rule.enabled, bool):
        errors.append(FieldError("enabled", "must be true or false"))
    if rule.fallback_pool is not None and (
        not isinstance(rule.fallback_pool, str) or not 1 <= len(rule.fallback_pool) <= 100
    ):
        errors.append(FieldError("fallback_pool", "must be 1 to 100 characters"))
    if (
        isinstance(rule.priority, bool)
        or not isinstance(rule.priority, int)
        or not 0 <= rule.priority <= 1_000_000
    ):
        errors.append(FieldError("priority", "must be a whole number from 0 to 1000000"))
    try:
        parse_conditions(rule.conditions, field_catalog(uow.custom_fields.all()))
    except ValidationFailed as exc:
        errors += exc.errors
    target = _target(rule.target, uow, errors) if check_refs else _target_unchecked(rule)
    if rule.strategy not in STRATEGIES:
        errors.append(
            FieldError(
                "strategy", f"{rule.strategy!r} is not one of {', '.join(sorted(STRATEGIES))}"
            )
        )
    else:
        errors += [
            FieldError("strategy_options", p)
            for p in validate_options(rule.strategy, rule.strategy_options)
        ]
    try:
        fallback = Fallback(rule.fallback)
    except ValueError:
        errors.append(
            FieldError(
                "fallback",
                f"{rule.fallback!r} is not one of {', '.join(f.value for f in Fallback)}",
            )
        )
        fallback = Fallback.next_rule
    if not isinstance(rule.required_skills, list) or not all(
        isinstance(s, str) and 0 < len(s) <= 100 for s in rule.required_skills
    ):
        errors.append(FieldError("required_skills", "must be a list of skill names"))
    window = _window(rule.window, errors)
    if errors:
        raise ValidationFailed(errors)
    assert target is not None
    return RoutingRule(
        id=rule.id or 0,
        name=rule.name,
        priority=rule.priority,
        conditions=rule.conditions,
        target=target,
        strategy=rule.strategy,
        strategy_options=rule.strategy_options,
        fallback=fallback,
        fallback_pool=rule.fallback_pool,
        required_skills=tuple(rule.required_skills),
        enabled=rule.enabled,
        window=window,
        is_default=rule.is_default,
    )


def _target_unchecked(rule: Rule) -> Target:
    raw: Mapping[str, Any] = rule.target
    return Target(
        kind=TargetKind(raw["kind"]),
        rep_ids=tuple(raw.get("rep_ids", ())),
        team_id=raw.get("team_id"),
        include_subteams=bool(raw.get("include_subteams", True)),
        skill=raw.get("skill"),
        pool=raw.get("pool"),
        match_on=tuple(raw.get("match_on", MATCH_KEYS)),
    )
