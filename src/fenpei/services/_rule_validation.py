"""Checking a rule as a whole and turning it into the engine's ``RoutingRule``.

A new or changed rule first meets the bounds (``domain.rules``, ``domain.limits``): list
sizes, depth, text, numbers. They are checked before anything looks inside the rule, so a
rule naming 100,000 reps or nested 1,000 deep is refused at once, never looked up rep by
rep nor recursed into.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.limits import date_problem, find_bad_value
from fenpei.domain.phrases import Phrase, length, whole_number
from fenpei.domain.rules import (
    MAX_REQUIRED_SKILLS,
    MAX_RULE_NUMBER,
    MAX_SKILL_NAME,
    MAX_TARGET_REPS,
    Rule,
    RuleSubject,
)
from fenpei.engine.conditions import parse_conditions
from fenpei.engine.model import EffectiveWindow, Fallback, RoutingRule, Target, TargetKind
from fenpei.engine.strategies import STRATEGIES, validate_options
from fenpei.engine.task_fields import subject_catalog
from fenpei.services._rule_experiments import holdout_of, reroute_of
from fenpei.services.ports import UnitOfWork

MATCH_KEYS = ("company", "email_domain", "phone")
# The parts of a rule that are JSON from outside, checked for depth, text and numbers.
_JSON_PARTS = ("conditions", "target", "strategy_options", "window", "required_skills",
               "holdout", "reroute")  # fmt: skip
_TARGET_KEYS = frozenset({"kind", "rep_ids", "team_id", "include_subteams", "skill", "pool",
                          "match_on"})  # fmt: skip
_POWER = f"10^{len(str(MAX_RULE_NUMBER)) - 1}"
_NUMBER_MESSAGE = f"must be a finite number between -{_POWER} and {_POWER}"

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
            errors.append(
                FieldError("target.rep_ids", Phrase("rule.no_reps", "list at least one rep id"))
            )
        else:
            known = {rep.id for rep in uow.reps.all()}  # one query, however many are named
            errors += [
                FieldError(
                    f"target.rep_ids[{position}]",
                    Phrase("rule.no_such_rep", "rep {id} does not exist", id=rep_id),
                )
                for position, rep_id in enumerate(rep_ids)
                if rep_id not in known
            ]
    if kind is TargetKind.team and (not _is_id(team_id) or uow.teams.get(team_id) is None):
        missing = Phrase("rule.no_such_team", "team {id!r} does not exist", id=team_id)
        errors.append(FieldError("target.team_id", missing))
    skill = raw.get("skill")
    if kind is TargetKind.skill and (not isinstance(skill, str) or not skill.strip()):
        errors.append(
            FieldError(
                "target.skill", Phrase("rule.skill", "name a skill (industries:retail) or a tag")
            )
        )
    if not isinstance(raw.get("include_subteams", True), bool):
        errors.append(
            FieldError("target.include_subteams", Phrase("flag", "must be true or false"))
        )
    match_on = raw.get("match_on", list(MATCH_KEYS))
    if (
        not isinstance(match_on, list)
        or not match_on
        or not all(isinstance(key, str) and key in MATCH_KEYS for key in match_on)
    ):
        errors.append(FieldError("target.match_on", f"use some of {', '.join(MATCH_KEYS)}"))
    pool = raw.get("pool")
    if pool is not None and (not isinstance(pool, str) or not 1 <= len(pool) <= 100):
        errors.append(FieldError("target.pool", length(1, 100)))
    if unknown := set(raw) - _TARGET_KEYS:
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
            continue
        if (day := days[key]) is not None and (problem := date_problem(day)) is not None:
            errors.append(FieldError(f"window.{key}", problem))
    weekdays = raw.get("weekdays", list(range(7)))
    if (
        not isinstance(weekdays, list)
        or not weekdays
        or not all(type(day) is int and 0 <= day <= 6 for day in weekdays)
    ):
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


def _number_problem(value: Any, path: str) -> FieldError | None:
    """The first number in a JSON-like value that is not finite or too large, by its path.
    Iterative; call it on a value ``find_bad_value`` passed (depth and size bounded)."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int | float) and not (
            (isinstance(item, int) or math.isfinite(item)) and abs(item) <= MAX_RULE_NUMBER
        ):
            return FieldError(where, _NUMBER_MESSAGE)
        if isinstance(item, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))
        elif isinstance(item, dict):
            stack.extend((v, f"{where}.{k}") for k, v in item.items())
    return None


def bounds_problems(rule: Rule) -> list[FieldError]:
    """What breaks the bounds of a new or changed rule: list sizes first (by ``len``, before
    anything looks at the items), then depth, text and numbers in its JSON parts."""
    errors: list[FieldError] = []
    target = rule.target if isinstance(rule.target, dict) else {}
    rep_ids = target.get("rep_ids")
    if isinstance(rep_ids, list) and len(rep_ids) > MAX_TARGET_REPS:
        errors.append(
            FieldError("target.rep_ids", f"names {len(rep_ids)} reps; at most {MAX_TARGET_REPS}")
        )
    skills = rule.required_skills
    if isinstance(skills, list) and len(skills) > MAX_REQUIRED_SKILLS:
        errors.append(
            FieldError(
                "required_skills", f"lists {len(skills)} skills; at most {MAX_REQUIRED_SKILLS}"
            )
        )
    for part in _JSON_PARTS:
        if _refused(errors, part):
            continue
        value = getattr(rule, part)
        bad = find_bad_value(value, part)
        if bad is None and part != "target":  # target numbers are ids: ``_target`` bounds them
            bad = _number_problem(value, part)
        if bad is not None:
            errors.append(bad)
    return errors


def _refused(errors: list[FieldError], part: str) -> bool:
    return any(e.field == part or e.field.startswith((f"{part}.", f"{part}[")) for e in errors)


def engine_rule(uow: UnitOfWork, rule: Rule, *, check_refs: bool = False) -> RoutingRule:
    """The rule as the engine runs it (id 0 while unsaved); raises ValidationFailed naming
    every bad part. ``check_refs`` is for input (a new or changed rule, a draft): it also
    checks the bounds (``bounds_problems``) and that the reps and team it names exist. A
    stored rule is compiled as it was accepted, so a bound tightened later never stops
    routing."""
    errors: list[FieldError] = bounds_problems(rule) if check_refs else []
    oversize = {part for part in _JSON_PARTS if _refused(errors, part)}
    if (
        not isinstance(rule.name, str)
        or rule.name != rule.name.strip()
        or not 1 <= len(rule.name) <= 200
    ):
        errors.append(
            FieldError(
                "name",
                Phrase("rule.name", "must be {low} to {high} characters, without outer spaces",
                       low=1, high=200),
            )
        )  # fmt: skip
    if not isinstance(rule.enabled, bool):
        errors.append(FieldError("enabled", Phrase("flag", "must be true or false")))
    if rule.fallback_pool is not None and (
        not isinstance(rule.fallback_pool, str) or not 1 <= len(rule.fallback_pool) <= 100
    ):
        errors.append(FieldError("fallback_pool", length(1, 100)))
    if (
        isinstance(rule.priority, bool)
        or not isinstance(rule.priority, int)
        or not 0 <= rule.priority <= 1_000_000
    ):
        errors.append(FieldError("priority", whole_number(0, 1_000_000)))
    subject = _subject(rule, errors)
    catalog = subject_catalog(subject, uow.custom_fields.all())
    if "conditions" not in oversize:
        try:
            parse_conditions(rule.conditions, catalog)
        except ValidationFailed as exc:
            errors += exc.errors
    target: Target | None = None
    if "target" not in oversize:
        if subject is not RuleSubject.task and _names_customer_owner(rule.target):
            errors.append(
                FieldError(
                    "target.kind",
                    Phrase(
                        "rule.owner_for_tasks", "the customer's owner is a target for task rules"
                    ),
                )
            )
        target = _target(rule.target, uow, errors) if check_refs else _target_unchecked(rule)
    if not isinstance(rule.strategy, str) or rule.strategy not in STRATEGIES:
        errors.append(
            FieldError(
                "strategy", f"{rule.strategy!r} is not one of {', '.join(sorted(STRATEGIES))}"
            )
        )
    elif "strategy_options" not in oversize:
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
    if "required_skills" not in oversize and (
        not isinstance(rule.required_skills, list)
        or not all(
            isinstance(s, str) and 0 < len(s) <= MAX_SKILL_NAME for s in rule.required_skills
        )
    ):
        errors.append(
            FieldError(
                "required_skills",
                f"must be a list of skill names (each 1 to {MAX_SKILL_NAME} characters)",
            )
        )
    window = None if "window" in oversize else _window(rule.window, errors)
    # A stored rule whose holdout or trigger no longer reads (a custom field removed since)
    # routes without it rather than not at all: only new input is refused for them.
    experiments: list[FieldError] = []
    holdout = (
        None
        if "holdout" in oversize
        else holdout_of(
            rule.holdout, strategy=rule.strategy, target=rule.target, errors=experiments
        )
    )
    reroute = (
        None
        if "reroute" in oversize
        else reroute_of(
            rule.reroute, subject=subject, target=rule.target, catalog=catalog, errors=experiments
        )
    )
    if check_refs:
        errors += experiments
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
        holdout=holdout,
        reroute=reroute,
    )


def _subject(rule: Rule, errors: list[FieldError]) -> RuleSubject:
    """What the rule routes; a bad one is named, and the rule checked as a customer rule."""
    try:
        return RuleSubject(rule.subject)
    except ValueError:
        allowed = ", ".join(s.value for s in RuleSubject)
        errors.append(FieldError("subject", f"{str(rule.subject)[:40]!r} is not one of {allowed}"))
        return RuleSubject.customer


def _names_customer_owner(raw: object) -> bool:
    return isinstance(raw, dict) and raw.get("kind") == TargetKind.customer_owner.value


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
