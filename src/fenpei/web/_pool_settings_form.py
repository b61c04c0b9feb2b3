"""The pool settings form (公海设置): posted strings → a pool's terms, every bad field
named in the page's words; and its values back for the form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fenpei.domain.pools import MAX_CAP, MAX_COOLDOWN_DAYS, Pool, ReclaimRule
from fenpei.domain.reclaim import MAX_RECLAIM_DAYS
from fenpei.web.i18n import Translate

# Whole numbers: (field, most, may be empty = no limit / rule off)
NUMBERS = {
    "daily_claim_cap": (MAX_CAP, True), "max_owned": (MAX_CAP, True),
    "max_key_accounts": (MAX_CAP, True), "cooldown_days": (MAX_COOLDOWN_DAYS, False),
    "protection_days": (MAX_COOLDOWN_DAYS, False), "warn_days": (MAX_RECLAIM_DAYS, False),
    "no_follow_up_days": (MAX_RECLAIM_DAYS, True), "not_won_days": (MAX_RECLAIM_DAYS, True),
    "stuck_days": (MAX_RECLAIM_DAYS, True),
}  # fmt: skip
FLAGS = ("count_won", "mask_contacts", "reclaim_enabled", "exempt_key_accounts", "exempt_won")
RULES = tuple(rule.value for rule in ReclaimRule)


@dataclass
class PoolForm:
    """What the form shows: the values as typed and an error per field (page words)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def form_of(pool: Pool) -> PoolForm:
    values = {name: "" if getattr(pool, name) is None else str(getattr(pool, name))
              for name in NUMBERS}  # fmt: skip
    values |= {name: "on" if getattr(pool, name) else "" for name in FLAGS}
    values["name"] = pool.name
    values["reclaim_action"] = pool.reclaim_action.value
    for level, rules in pool.level_days.items():
        for rule, days in rules.items():
            values[f"level_days.{level}.{rule}"] = str(days)
    return PoolForm(values)


def parse(
    posted: Mapping[str, str], levels: list[str], t: Translate
) -> tuple[dict[str, object], PoolForm]:
    """The fields to set, and the form as posted with what is wrong in it."""
    form = PoolForm({k: v.strip() for k, v in posted.items() if isinstance(v, str)})
    fields: dict[str, object] = {"name": form.values.get("name", "")}
    for name, (most, optional) in NUMBERS.items():
        text = form.values.get(name, "")
        if not text and optional:
            fields[name] = None
        elif text.isascii() and text.isdigit() and int(text) <= most:
            fields[name] = int(text)
        else:
            form.errors[name] = t("reclaim.error.number", most=most)
    for name in FLAGS:
        fields[name] = form.values.get(name) == "on"
    fields["reclaim_action"] = form.values.get("reclaim_action", "pool")
    level_days: dict[str, dict[str, int]] = {}
    for level in levels:
        for rule in RULES:
            key = f"level_days.{level}.{rule}"
            text = form.values.get(key, "")
            if not text:
                continue
            if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_RECLAIM_DAYS:
                level_days.setdefault(level, {})[rule] = int(text)
            else:
                form.errors[key] = t("reclaim.error.level_days", most=MAX_RECLAIM_DAYS)
    fields["level_days"] = level_days
    return fields, form


def said_error(field_name: str, t: Translate) -> str:
    """A service's refusal of a field, in the page's words."""
    if field_name.startswith("level_days"):
        return t("reclaim.error.level_days", most=MAX_RECLAIM_DAYS)
    if field_name in NUMBERS:
        return t("reclaim.error.number", most=NUMBERS[field_name][0])
    return (
        t(f"reclaim.error.{field_name}")
        if field_name in ("name", "reclaim_action")
        else t("reclaim.error.other")
    )
