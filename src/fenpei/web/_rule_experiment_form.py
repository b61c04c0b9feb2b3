"""The rule editor's holdout (对照组) and re-routing trigger (动态分配) fields ↔ a rule's
``holdout`` and ``reroute``. The share is typed as a percentage (20 = 0.2); the trigger's
condition is JSON in the rule language, like the conditions' own JSON field."""

from __future__ import annotations

import json
import re
from typing import Any

from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.limits import load_json
from fenpei.domain.phrases import Phrase

_PERCENT = re.compile(r"[0-9]{1,3}(\.[0-9]{1,2})?")
_DAYS = re.compile(r"-?[0-9]{1,6}")


def shown_holdout(holdout: dict[str, Any] | None) -> tuple[str, str, str]:
    """The share (as a percentage), the baseline strategy and its options as the form shows them."""
    if not holdout:
        return "", "round_robin", "{}"
    share = holdout.get("share")
    percent = f"{share * 100:g}" if isinstance(share, int | float) else ""
    options = json.dumps(holdout.get("options", {}), ensure_ascii=False)
    return percent, str(holdout.get("strategy", "round_robin")), options


def shown_reroute(reroute: dict[str, Any] | None) -> tuple[str, str]:
    """The trigger's condition (JSON) and its minimum days as the form shows them."""
    if not reroute:
        return "", "7"
    when = json.dumps(reroute.get("when", {}), ensure_ascii=False)
    return when, str(reroute.get("min_days", 7))


def _json(raw: str, field: str, errors: list[FieldError]) -> Any:
    try:
        return load_json(raw, field=field)
    except ValidationFailed as exc:
        errors += exc.errors
        return None


def holdout_field(
    share: str, strategy: str, options: str, errors: list[FieldError]
) -> dict[str, Any] | None:
    """The rule's ``holdout`` from the form (None when no share is typed)."""
    share = share.strip().rstrip("%").strip()
    if not share:
        return None
    if not _PERCENT.fullmatch(share):
        errors.append(
            FieldError("holdout.share", Phrase("holdout.percent", "type a percentage, 1 to 50"))
        )
        return None
    held: dict[str, Any] = {"share": round(float(share) / 100, 4), "strategy": strategy}
    loaded = _json(options.strip() or "{}", "holdout.options", errors)
    if loaded is not None:
        held["options"] = loaded
    return held


def reroute_field(when: str, min_days: str, errors: list[FieldError]) -> dict[str, Any] | None:
    """The rule's ``reroute`` from the form (None when no trigger condition is typed)."""
    if not when.strip():
        return None
    trigger: dict[str, Any] = {"when": _json(when, "reroute.when", errors)}
    days = min_days.strip() or "7"
    if _DAYS.fullmatch(days):
        trigger["min_days"] = int(days)
    else:
        errors.append(FieldError("reroute.min_days", Phrase("number", "must be a number")))
    return trigger
