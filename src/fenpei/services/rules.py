"""Assignment rules (分配规则): create, change, reorder, enable, version history, restore.

Admins change rules; admins, managers and auditors read them (``scope.require_rule_reader``:
a rep sees nothing of the rule book). Reads go through ``list_rules``, ``read_rule`` and
``rule_versions`` so that API, pages and CLI give one answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fenpei.domain.errors import FieldError, NotFound, ValidationFailed
from fenpei.domain.rules import (
    DEFAULT_RULE_NAME,
    MAX_REORDERED,
    PUBLIC_POOL,
    RoutingState,
    Rule,
    RuleVersion,
)
from fenpei.domain.users import Actor
from fenpei.services import _audit, scope
from fenpei.services._rule_validation import MAX_ID, engine_rule
from fenpei.services.ports import UnitOfWork

EDITABLE = ("name", "priority", "conditions", "target", "strategy", "strategy_options",
            "fallback", "fallback_pool", "required_skills", "window", "enabled", "holdout",
            "reroute")  # fmt: skip
# Chosen when a rule is made and never changed after: a customer rule stays one, and a
# task rule's conditions name task fields a customer rule could not read.
CREATE_ONLY = ("subject",)


def _stripped(fields: Mapping[str, Any]) -> dict[str, Any]:
    name = fields.get("name")
    return {**fields, "name": name.strip()} if isinstance(name, str) else dict(fields)


def _snapshot(rule: Rule) -> dict[str, Any]:
    return {
        name: _audit.json_safe(getattr(rule, name)) for name in (*EDITABLE, "is_default", "subject")
    }


def _save_version(
    uow: UnitOfWork, rule: Rule, actor: Actor, now: datetime, note: dict[str, Any] | None = None
) -> None:
    assert rule.id is not None
    uow.rules.add_version(
        RuleVersion(
            rule_id=rule.id,
            version=rule.version,
            snapshot=_snapshot(rule),
            actor=actor.name,
            at=now,
            note=note,
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
    """Add a rule (validated as a whole; every bad part named by its JSON path); its
    ``subject`` (customer, the default, or task) says what it routes."""
    scope.require_admin(actor, "change rules")
    if unknown := set(fields) - set(EDITABLE) - set(CREATE_ONLY):
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
    """A rule by id, or NotFound; for services that already decided who may see it."""
    rule = uow.rules.get(rule_id, lock=lock) if 1 <= rule_id <= MAX_ID else None
    if rule is None:
        raise NotFound("rule", rule_id)
    return rule


def list_rules(*, uow: UnitOfWork, actor: Actor, subject: str | None = None) -> list[Rule]:
    """Every rule in the order routing tries them (the default last), for a rule reader;
    only those routing ``subject`` (customer or task) when given."""
    scope.require_rule_reader(actor)
    rules = uow.rules.active()
    return rules if subject is None else [rule for rule in rules if rule.subject == subject]


def read_rule(*, uow: UnitOfWork, rule_id: int, actor: Actor) -> Rule:
    """One rule, for a rule reader; NotFound if there is no such rule."""
    scope.require_rule_reader(actor)
    return get_rule(uow=uow, rule_id=rule_id)


def rule_versions(*, uow: UnitOfWork, rule_id: int, actor: Actor) -> list[RuleVersion]:
    """Every saved version of a rule, oldest first, for a rule reader."""
    read_rule(uow=uow, rule_id=rule_id, actor=actor)
    return uow.rules.versions(rule_id)


def update_rule(
    *,
    uow: UnitOfWork,
    rule_id: int,
    fields: Mapping[str, Any],
    actor: Actor,
    now: datetime,
    note: dict[str, Any] | None = None,
) -> Rule:
    """Change a rule; the new content becomes the next version (the old one is kept).
    ``note`` says why when the change was not typed by a person (a category merge)."""
    scope.require_admin(actor, "change rules")
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
        subject=rule.subject,
    )
    _validate(uow, draft)  # on a draft: a refused change leaves the rule untouched
    before = _audit.snapshot(rule)
    for name in EDITABLE:
        setattr(rule, name, getattr(draft, name))
    rule.version += 1
    rule.updated_at = now
    _save_version(uow, rule, actor, now, note)
    _audit.record(uow, actor=actor, action="update", obj=rule, now=now, before=before)
    return rule


def restore_version(
    *, uow: UnitOfWork, rule_id: int, version: int, actor: Actor, now: datetime
) -> Rule:
    """Make an old version current again (as a new version, so nothing is lost)."""
    scope.require_admin(actor, "change rules")
    get_rule(uow=uow, rule_id=rule_id)
    old = next((v for v in uow.rules.versions(rule_id) if v.version == version), None)
    if old is None:
        raise NotFound(f"version of rule {rule_id}", version)
    # A version saved before rules had a holdout or a re-routing trigger had neither.
    fields = {"holdout": None, "reroute": None}
    fields |= {k: v for k, v in old.snapshot.items() if k in EDITABLE}
    return update_rule(uow=uow, rule_id=rule_id, fields=fields, actor=actor, now=now)


def reorder_rules(
    *, uow: UnitOfWork, rule_ids: Sequence[int], actor: Actor, now: datetime
) -> list[Rule]:
    """Give the listed rules priorities 10, 20, 30 … in that order (the default stays last)."""
    scope.require_admin(actor, "change rules")
    if len(rule_ids) > MAX_REORDERED:
        raise ValidationFailed.one(
            "rule_ids", f"lists {len(rule_ids)} rules; at most {MAX_REORDERED}"
        )
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
    scope.require_admin(actor, "change rules")
    rule = get_rule(uow=uow, rule_id=rule_id, lock=True)
    if rule.is_default:
        raise ValidationFailed.one("rule_id", "the default rule cannot be deleted")
    before = _audit.snapshot(rule)
    rule.deleted_at = now
    _audit.record(uow, actor=actor, action="delete", obj=rule, now=now, before=before)
