"""The capacity constraint (负荷上限): open holdings, and intake per calendar day, week
and month in the rep's own time zone (a daily limit starts again at the rep's midnight)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fenpei.domain.org import Capacity


@dataclass(frozen=True)
class Usage:
    """What a rep holds now and how many customers they received in their current local
    day, week (from Monday) and month."""

    open_count: int
    received_day: int = 0
    received_week: int = 0
    received_month: int = 0


@dataclass(frozen=True)
class Periods:
    """The first local dates of the day, week and month an instant falls in, for one zone."""

    day: date
    week: date
    month: date


@cache
def zone(name: str) -> ZoneInfo:
    """The zone by name; a name this machine does not know counts as UTC (reps' zones are
    checked when saved, so this only meets a zone removed from the tz database since)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def periods(at: datetime, time_zone: str) -> Periods:
    """The day, week and month ``at`` falls in, in ``time_zone``."""
    local = at.astimezone(zone(time_zone)).date()
    return Periods(local, local - timedelta(days=local.weekday()), local.replace(day=1))


def intake(times: Iterable[datetime], now: datetime, time_zone: str) -> tuple[int, int, int]:
    """How many of ``times`` (when customers were received) fall in the local day, week and
    month of ``now``: the reference the kept counters are checked against."""
    current = periods(now, time_zone)
    counts = [0, 0, 0]
    for at in times:
        when = periods(at, time_zone)
        counts[0] += when.day == current.day
        counts[1] += when.week == current.week
        counts[2] += when.month == current.month
    return counts[0], counts[1], counts[2]


def capacity_breach(capacity: Capacity, usage: Usage, *, adding: int = 1) -> str | None:
    """Why taking ``adding`` more customers would breach a limit, or None if it fits."""
    checks = (
        (capacity.max_open, usage.open_count, "open customers"),
        (capacity.max_per_day, usage.received_day, "new customers today"),
        (capacity.max_per_week, usage.received_week, "new customers this week"),
        (capacity.max_per_month, usage.received_month, "new customers this month"),
    )
    for limit, used, what in checks:
        if limit is not None and used + adding > limit:
            more = f" (+{adding} would exceed)" if adding > 1 else ""
            return f"{used}/{limit} {what}{more}"
    return None
