"""The capacity constraint (负荷上限): open holdings and rolling intake windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fenpei.domain.org import Capacity

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
MONTH = timedelta(days=30)


@dataclass(frozen=True)
class Usage:
    """What a rep holds now and how many customers they received in each rolling window."""

    open_count: int
    received_day: int = 0
    received_week: int = 0
    received_month: int = 0


def intake_window_starts(now: datetime) -> tuple[datetime, datetime, datetime]:
    """Start of the rolling day, week and month windows ending at ``now``."""
    return now - DAY, now - WEEK, now - MONTH


def capacity_breach(capacity: Capacity, usage: Usage, *, adding: int = 1) -> str | None:
    """Why taking ``adding`` more customers would breach a limit, or None if it fits."""
    checks = (
        (capacity.max_open, usage.open_count, "open customers"),
        (capacity.max_per_day, usage.received_day, "new customers in 24 hours"),
        (capacity.max_per_week, usage.received_week, "new customers in 7 days"),
        (capacity.max_per_month, usage.received_month, "new customers in 30 days"),
    )
    for limit, used, what in checks:
        if limit is not None and used + adding > limit:
            more = f" (+{adding} would exceed)" if adding > 1 else ""
            return f"{used}/{limit} {what}{more}"
    return None
