"""Checking a pool's reclaim terms (回收) as an admin sets them: every bad field named."""

from __future__ import annotations

from collections.abc import Mapping

from fenpei.domain.errors import FieldError
from fenpei.domain.pools import MAX_CAP, ReclaimAction, ReclaimRule
from fenpei.domain.reclaim import MAX_LEVEL_CODE, MAX_RECLAIM_DAYS

RECLAIM_TERMS = ("reclaim_enabled", "no_follow_up_days", "not_won_days", "stuck_days",
                 "level_days", "warn_days", "exempt_key_accounts", "exempt_won",
                 "reclaim_action", "max_key_accounts")  # fmt: skip
RECLAIM_LIMITS = {"no_follow_up_days": MAX_RECLAIM_DAYS, "not_won_days": MAX_RECLAIM_DAYS,
                  "stuck_days": MAX_RECLAIM_DAYS, "warn_days": MAX_RECLAIM_DAYS,
                  "max_key_accounts": MAX_CAP}  # fmt: skip
RECLAIM_FLAGS = ("reclaim_enabled", "exempt_key_accounts", "exempt_won")
RECLAIM_NOT_NULL = (*RECLAIM_FLAGS, "level_days", "warn_days", "reclaim_action")
MAX_LEVELS = 50
_RULES = {rule.value for rule in ReclaimRule}


def reclaim_errors(fields: Mapping[str, object]) -> list[FieldError]:
    """What is wrong with the reclaim terms in ``fields`` (the common checks aside)."""
    errors = []
    action = fields.get("reclaim_action")
    if action is not None and action not in {a.value for a in ReclaimAction}:
        errors.append(FieldError("reclaim_action", "must be 'pool' or 'reroute'"))
    level_days = fields.get("level_days")
    if level_days is None:
        return errors
    if not isinstance(level_days, dict) or len(level_days) > MAX_LEVELS:
        return [*errors, FieldError("level_days", f"must map up to {MAX_LEVELS} level codes "
                                    "to {rule: days}")]  # fmt: skip
    for level, rules in level_days.items():
        where = f"level_days.{level}"
        if not isinstance(level, str) or not 1 <= len(level) <= MAX_LEVEL_CODE:
            errors.append(FieldError("level_days", f"level codes are 1 to {MAX_LEVEL_CODE} "
                                     "characters"))  # fmt: skip
        elif not isinstance(rules, dict):
            errors.append(FieldError(where, "must map rules to days"))
        else:
            for rule, days in rules.items():
                if rule not in _RULES:
                    errors.append(FieldError(f"{where}.{rule}", "is not a reclaim rule "
                                             f"({', '.join(sorted(_RULES))})"))  # fmt: skip
                elif type(days) is not int or not 1 <= days <= MAX_RECLAIM_DAYS:
                    errors.append(FieldError(f"{where}.{rule}", "must be a whole number "
                                             f"from 1 to {MAX_RECLAIM_DAYS:,}"))  # fmt: skip
    return errors


def cleaned(field: str, value: object) -> object:
    """The value to store: names stripped, the action as its enum, empty levels dropped."""
    if field == "reclaim_action" and isinstance(value, str):
        return ReclaimAction(value)
    if field == "level_days" and isinstance(value, dict):
        return {
            level: {str(r): d for r, d in rules.items()} for level, rules in value.items() if rules
        }
    return value.strip() if isinstance(value, str) else value
