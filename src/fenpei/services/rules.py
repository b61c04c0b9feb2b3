"""Assignment rules (分配规则): create, change, reorder, enable, version history, restore."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fenpei.domain.errors import FieldError, NotFound, ValidationFailed
from fenpei.domain.rules import DEFAULT_RULE_NAME, PUBLIC_POOL, RoutingState, Rule, RuleVersion
from fenpei.domain.users import Actor
from fenpei.engine.conditions import parse_conditions
from fenpei.engine.fields import field_catalog
from fenpei.engine.model import EffectiveWindow, Fallback, RoutingRule, Target, TargetKind
from fenpei.engine.strategies import STRATEGIES, validate_options
from fenpei.services import _audit
from fenpei.services.ports import UnitOfWork

EDITABLE = ("name", "priority", "conditions", "target", "strategy", "strategy_options",
            "fallback", "fallback_pool", "required_skills", "window", "enabled")  # fmt: skip
MATCH_KEYS = ("company", "email_domain", "phone")


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
        if not rep_ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in rep_ids):
            errors.append(FieldError("target.rep_ids", "list at least one rep id"))
        else:
            for position, rep_id in enumerate(rep_ids):
                if uow.reps.get(rep_id) is None:
                    errors.append(
                        FieldError(f"target.rep_ids[{position}]", f"rep {rep_id} does not exist")
                    )
    if kind is TargetKind.team and (not isinstance(team_id, int) or uow.teams.get(team_id) is None):
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


def _stripped(fields: Mapping[str, Any]) -> dict[str, Any]:
    name = fields.get("name")
    return {**fields, "name": name.strip()} if isinstance(name, str) else dict(fields)


def _snapshot(rule: Rule) -> dict[str, Any]:
    return {name: _audit.json_safe(getattr(rule, name)) for name in (*EDITABLE, "is_default")}


def _save_version(uow: UnitOfWork, rule: Rule, actor: Actor, now: datetime) -> None:
    assert rule.id is not None
    uow.rules.add_version(
        RuleVersion(
            rule_id=rule.id,
            version=rule.version,
            snapshot=_snapshot(rule),
            actor=actor.name,
            at=now,
        )
    )


def _validate(uow: UnitOfWork, rule: Rule) -> None:
    engine_rule(uow, rule, check_refs=True)


def create_rule(
    *,
    uow: UnitOfWork,
    fields: Mapping[str, Any],
    actor: Actor,
    now: datetime,
    is_default: bool = False,
) -> Rule:
    """Add a rule (validated as a whole; every bad part named by its JSON path)."""
    if unknown := set(fields) - set(EDITABLE):
        raise ValidationFailed([FieldError(k, "is not a rule field") for k in sorted(unknown)])
    fields = _stripped(fields)
    rule = Rule(
        **{"name": "", "priority": 100, **fields},
        created_at=now,
        updated_at=now,
        is_default=is_default,
    )
    _validate(uow, rule)
    uow.rules.add(rule)
    assert rule.id is not None
    uow.rules.add_state(RoutingState(rule_id=rule.id, state={}, updated_at=now))
    _save_version(uow, rule, actor, now)
    _audit.record(uow, actor=actor, action="create", obj=rule, now=now)
    return rule


def get_rule(*, uow: UnitOfWork, rule_id: int, lock: bool = False) -> Rule:
    rule = uow.rules.get(rule_id, lock=lock)
    if rule is None:
        raise NotFound("rule", rule_id)
    return rule


def update_rule(
    *, uow: UnitOfWork, rule_id: int, fields: Mapping[str, Any], actor: Actor, now: datetime
) -> Rule:
    """Change a rule; the new content becomes the next version (the old one is kept)."""
    if unknown := set(fields) - set(EDITABLE):
        raise ValidationFailed([FieldError(k, "is not a rule field") for k in sorted(unknown)])
    rule = get_rule(uow=uow, rule_id=rule_id, lock=True)
    if rule.is_default and ("conditions" in fields and fields["conditions"] != {}):
        raise ValidationFailed.one(
            "conditions", "the default rule catches everything; add a rule above it instead"
        )
    draft = Rule(
        **{**{name: getattr(rule, name) for name in EDITABLE}, **_stripped(fields)},
        id=rule.id,
        is_default=rule.is_default,
    )
    _validate(uow, draft)  # on a draft: a refused change leaves the rule untouched
    before = _audit.snapshot(rule)
    for name in EDITABLE:
        setattr(rule, name, getattr(draft, name))
    rule.version += 1
    rule.updated_at = now
    _save_version(uow, rule, actor, now)
    _audit.record(uow, actor=actor, action="update", obj=rule, now=now, before=before)
    return rule


def restore_version(
    *, uow: UnitOfWork, rule_id: int, version: int, actor: Actor, now: datetime
) -> Rule:
    """Make an old version current again (as a new version, so nothing is lost)."""
    get_rule(uow=uow, rule_id=rule_id)
    old = next((v for v in uow.rules.versions(rule_id) if v.version == version), None)
    if old is None:
        raise NotFound(f"version of rule {rule_id}", version)
    fields = {k: v for k, v in old.snapshot.items() if k in EDITABLE}
    return update_rule(uow=uow, rule_id=rule_id, fields=fields, actor=actor, now=now)


def reorder_rules(
    *, uow: UnitOfWork, rule_ids: Sequence[int], actor: Actor, now: datetime
) -> list[Rule]:
    """Give the listed rules priorities 10, 20, 30 … in that order (the default stays last)."""
    if len(set(rule_ids)) != len(rule_ids):
        raise ValidationFailed.one("rule_ids", "lists a rule twice")
    rules = [get_rule(uow=uow, rule_id=rule_id, lock=True) for rule_id in rule_ids]
    for position, rule in enumerate(rules):
        if rule.is_default:
            raise ValidationFailed.one(f"rule_ids[{position}]", "the default rule is always last")
    for position, (rule_id, rule) in enumerate(zip(rule_ids, rules, strict=True)):
        if rule.priority != (position + 1) * 10:
            update_rule(
                uow=uow,
                rule_id=rule_id,
                fields={"priority": (position + 1) * 10},
                actor=actor,
                now=now,
            )
    return rules


def ensure_default_rule(*, uow: UnitOfWork, actor: Actor, now: datetime) -> Rule:
    """The catch-all rule: whatever no other rule places goes to the public pool (公海)."""
    existing = next((r for r in uow.rules.active() if r.is_default), None)
    if existing is not None:
        return existing
    return create_rule(
        uow=uow,
        fields={
            "name": DEFAULT_RULE_NAME,
            "priority": 1_000_000,
            "conditions": {},
            "target": {"kind": "pool", "pool": PUBLIC_POOL},
        },
        actor=actor,
        now=now,
        is_default=True,
    )


def delete_rule(*, uow: UnitOfWork, rule_id: int, actor: Actor, now: datetime) -> None:
    """Remove a rule from routing (its versions stay); the default rule cannot go."""
    rule = get_rule(uow=uow, rule_id=rule_id, lock=True)
    if rule.is_default:
        raise ValidationFailed.one("rule_id", "the default rule cannot be deleted")
    before = _audit.snapshot(rule)
    rule.deleted_at = now
    _audit.record(uow, actor=actor, action="delete", obj=rule, now=now, before=before)
