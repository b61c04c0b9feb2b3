"""SLA policies (首次联系时限, optionally 下次联系时限): admins add, change and delete them;
managers read them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fenpei.domain.errors import FieldError, NotFound, ValidationFailed
from fenpei.domain.phrases import Phrase, length, required, whole_number
from fenpei.domain.sla import CALENDARS, MAX_MINUTES, MAX_NAME, SlaPolicy
from fenpei.domain.users import Actor
from fenpei.services import _audit, scope
from fenpei.services.ports import UnitOfWork

FIELDS = (
    "name",
    "level",
    "rule_id",
    "first_contact_minutes",
    "remind_before_minutes",
    "notify_manager",
    "reassign_after_minutes",
    "next_contact_minutes",
    "calendar",
    "active",
    "position",
)
_MINUTES = (
    "first_contact_minutes",
    "remind_before_minutes",
    "reassign_after_minutes",
    "next_contact_minutes",
)
_OPTIONAL = ("level", "rule_id", "reassign_after_minutes", "next_contact_minutes")
_TARGETS = ("first_contact_minutes", "next_contact_minutes")  # at least a minute


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _clean(uow: UnitOfWork, fields: Mapping[str, Any], base: SlaPolicy) -> dict[str, Any]:
    """The fields checked against each other and the base policy; every bad one named."""
    errors: list[FieldError] = []
    if unknown := sorted(set(fields) - set(FIELDS)):
        errors += [
            FieldError(name, Phrase("sla.unknown_field", "is not a policy field"))
            for name in unknown
        ]
    merged = {name: fields.get(name, getattr(base, name)) for name in FIELDS}
    name = merged["name"]
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= MAX_NAME:
        errors.append(FieldError("name", length(1, MAX_NAME)))
    else:
        merged["name"] = name.strip()
    for field in _MINUTES:
        value = merged[field]
        if value is None and field in _OPTIONAL:
            continue
        low = 1 if field in _TARGETS else 0
        if not _whole(value, low, MAX_MINUTES):
            errors.append(FieldError(field, whole_number(low, MAX_MINUTES)))
    first, remind = merged["first_contact_minutes"], merged["remind_before_minutes"]
    if _whole(first, 1, MAX_MINUTES) and _whole(remind, 0, MAX_MINUTES) and remind >= first:
        errors.append(
            FieldError(
                "remind_before_minutes",
                Phrase("sla.remind_too_late", "must be less than the target"),
            )
        )
    after = merged["next_contact_minutes"]
    if _whole(after, 1, MAX_MINUTES) and _whole(remind, 0, MAX_MINUTES) and remind >= after:
        errors.append(
            FieldError(
                "next_contact_minutes",
                Phrase("sla.next_too_short", "must be more than the reminder's minutes"),
            )
        )
    level = merged["level"]
    if level is not None and (not isinstance(level, str) or not 1 <= len(level) <= 50):
        errors.append(FieldError("level", length(1, 50)))
    rule_id = merged["rule_id"]
    if rule_id is not None and (
        not _whole(rule_id, 1, 2**31 - 1) or uow.rules.get(rule_id) is None
    ):
        errors.append(FieldError("rule_id", Phrase("sla.no_rule", "is not an existing rule")))
    if merged["calendar"] not in CALENDARS:
        errors.append(
            FieldError(
                "calendar",
                Phrase("sla.calendar", "must be one of {names}", names=", ".join(CALENDARS)),
            )
        )
    for flag in ("notify_manager", "active"):
        if not isinstance(merged[flag], bool):
            errors.append(FieldError(flag, Phrase("sla.boolean", "must be true or false")))
    if not _whole(merged["position"], 0, 10_000):
        errors.append(FieldError("position", whole_number(0, 10_000)))
    if errors:
        raise ValidationFailed(errors)
    return merged


def list_policies(*, uow: UnitOfWork, actor: Actor) -> list[SlaPolicy]:
    """Every policy, in the order they are tried among equals."""
    scope.require_overseer(actor, "see SLA policies")
    return uow.sla.policies()


def get_policy(*, uow: UnitOfWork, policy_id: int, actor: Actor) -> SlaPolicy:
    scope.require_overseer(actor, "see SLA policies")
    policy = uow.sla.get_policy(policy_id)
    if policy is None:
        raise NotFound("SLA policy", policy_id)
    return policy


def create_policy(
    *, uow: UnitOfWork, fields: Mapping[str, Any], actor: Actor, now: datetime
) -> SlaPolicy:
    """Add a policy; new owners from now on get clocks by it."""
    scope.require_admin(actor, "change SLA policies")
    if "first_contact_minutes" not in fields:
        raise ValidationFailed.one("first_contact_minutes", required())
    blank = SlaPolicy(name="", first_contact_minutes=0)
    policy = SlaPolicy(**_clean(uow, fields, blank), created_at=now, updated_at=now)
    uow.sla.add_policy(policy)
    _audit.record(uow, actor=actor, action="sla_policy.create", obj=policy, now=now, before={})
    return policy


def update_policy(
    *, uow: UnitOfWork, policy_id: int, fields: Mapping[str, Any], actor: Actor, now: datetime
) -> SlaPolicy:
    """Change a policy; running clocks keep the times they started with."""
    scope.require_admin(actor, "change SLA policies")
    policy = get_policy(uow=uow, policy_id=policy_id, actor=actor)
    before = _audit.snapshot(policy)
    for name, value in _clean(uow, fields, policy).items():
        setattr(policy, name, value)
    policy.updated_at = now
    _audit.record(uow, actor=actor, action="sla_policy.update", obj=policy, now=now, before=before)
    return policy


def delete_policy(*, uow: UnitOfWork, policy_id: int, actor: Actor, now: datetime) -> None:
    """Delete a policy; its running clocks run on without escalation or reassignment."""
    scope.require_admin(actor, "change SLA policies")
    policy = get_policy(uow=uow, policy_id=policy_id, actor=actor)
    before = _audit.snapshot(policy)
    _audit.record(uow, actor=actor, action="sla_policy.delete", obj=policy, now=now, before=before)
    uow.sla.delete_policy(policy)
