"""China's official holidays and make-up workdays (调休), from the maintained package
``chinese-calendar`` (``chinese_calendar``). It covers the years the State Council has
published (2004 to its newest release; 2026 in 1.11): for any other year it raises, so
here a year it does not cover simply has no official entries — an admin imports that
year's list (services/sla/calendars.py) until the package catches up."""

from __future__ import annotations

from datetime import date
from functools import cache

import chinese_calendar

from fenpei.domain.business_time import DayKind


@cache
def covers(year: int) -> bool:
    """Whether the package knows ``year``'s holidays."""
    try:
        chinese_calendar.is_holiday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@cache
def official_days(year: int) -> dict[date, tuple[DayKind, str]]:
    """``year``'s official holidays and make-up workdays with their names (English, as
    the package gives them); empty for a year the package does not cover. Kept per
    year (the package's data does not change while running): do not modify it."""
    if not covers(year):
        return {}
    days: dict[date, tuple[DayKind, str]] = {}
    for day, name in chinese_calendar.holidays.items():
        if day.year == year:
            days[day] = (DayKind.holiday, _name(name))
    for day, name in chinese_calendar.workdays.items():
        if day.year == year and day.weekday() >= 5:
            days[day] = (DayKind.workday, _name(name))
    return days


def _name(value: object) -> str:
    text = getattr(value, "value", value)
    if isinstance(text, tuple):  # (English, 中文, days)
        text = text[0]
    return str(text or "")
