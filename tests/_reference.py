"""A deliberately naive interpreter of the condition language as ``engine.conditions``
documents it, written without the engine's code: the independent truth that both the
compiled per-customer predicates and the batch (NumPy) evaluator are checked against.

It reads the customer's attributes directly (money as float, custom values as stored),
so give it clean customers: text as str or None, numbers as int / float / Decimal,
aware datetimes, custom dates as ISO strings. Rule values are the JSON a rule holds;
relative values (dates, days, business hours) are read in Asia/Shanghai, the default zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fenpei.domain.customers import Customer

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _reference_value(who: Customer, field: str) -> Any:
    if field.startswith("custom."):
        return who.custom.get(field.removeprefix("custom."))
    value = getattr(who, field)
    return float(value) if isinstance(value, Decimal) else value


def _folded(text: str) -> str:
    return text.strip().casefold()


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def reference(tree: dict[str, Any], who: Customer, now: datetime) -> bool:
    """Whether ``tree`` holds for ``who`` at ``now``, by the documented semantics."""
    if not tree:
        return True
    if "all" in tree:
        return all(reference(child, who, now) for child in tree["all"])
    if "any" in tree:
        return any(reference(child, who, now) for child in tree["any"])
    if "not" in tree:
        return not reference(tree["not"], who, now)
    op: str = tree["op"]
    value: Any = tree.get("value")
    raw = _reference_value(who, tree["field"])
    missing = raw is None or raw == [] or (isinstance(raw, str) and not raw.strip())
    if op in ("is_empty", "is_not_empty"):
        return missing is (op == "is_empty")
    if missing:
        return op in ("ne", "not_in")
    if op == "regex":
        return re.search(value, raw) is not None
    if isinstance(raw, list):  # tags
        tags = {_folded(t) for t in raw}
        wanted = {_folded(value)} if op == "contains" else {_folded(v) for v in value}
        return bool(tags & wanted) is (op != "not_in")
    if isinstance(raw, datetime):
        if op == "in_business_hours":
            local = raw.astimezone(SHANGHAI)
            return local.weekday() < 5 and 9 <= local.hour < 18
        if op in ("within_days", "older_than_days"):
            return (raw >= now - timedelta(days=value)) is (op == "within_days")
        value = [_instant(v) for v in value] if isinstance(value, list) else _instant(value)
    elif isinstance(raw, str) and op in ("within_days", "older_than_days"):  # a date field
        today = now.astimezone(SHANGHAI).date()
        cutoff = (today - timedelta(days=value)).isoformat()
        return (raw >= cutoff) is (op == "within_days")
    elif isinstance(raw, str):
        raw = _folded(raw)
        value = [_folded(v) for v in value] if isinstance(value, list) else _folded(value)
    compare: dict[str, Callable[[], bool]] = {
        "eq": lambda: raw == value,
        "ne": lambda: raw != value,
        "in": lambda: raw in value,
        "not_in": lambda: raw not in value,
        "gt": lambda: raw > value,
        "gte": lambda: raw >= value,
        "lt": lambda: raw < value,
        "lte": lambda: raw <= value,
        "between": lambda: value[0] <= raw <= value[1],
        "contains": lambda: value in raw,
        "starts_with": lambda: raw.startswith(value),
    }
    return compare[op]()
