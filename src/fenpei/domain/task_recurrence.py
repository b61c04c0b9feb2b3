"""The next date of a recurring task: pure date arithmetic on local dates.

Every N days; weekly on chosen weekdays every N weeks; monthly on day D every N months,
on the month's last day when it is shorter (Jan 31 → Feb 28 or 29 → Mar 31: the pattern
keeps its day, it does not drift to the 28th). With ``business_days_only`` a date that
falls on a day off moves to the next working day; the pattern itself carries on from the
date it gave, so one holiday does not shift every later occurrence.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta

from fenpei.domain.tasks import Recurrence, RecurrenceKind

MAX_SHIFT = 60  # days a date may move to reach a working day (a long holiday and weekends)


def _add_months(day: date, months: int, on: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(on, calendar.monthrange(year, month)[1]))


def pattern_date(rule: Recurrence, after: date) -> date:
    """The pattern's next date strictly after ``after`` (itself one of its dates)."""
    if rule.kind is RecurrenceKind.days:
        return after + timedelta(days=rule.every)
    if rule.kind is RecurrenceKind.monthly:
        return _add_months(after, rule.every, rule.day or after.day)
    # Weekly: the next chosen weekday this week, else the first one N weeks on.
    days = sorted(rule.weekdays) or [after.weekday()]
    later = [d for d in days if d > after.weekday()]
    if later:
        return after + timedelta(days=later[0] - after.weekday())
    monday = after - timedelta(days=after.weekday())
    return monday + timedelta(weeks=rule.every, days=days[0])


def next_date(rule: Recurrence, after: date, is_workday: Callable[[date], bool]) -> date:
    """The next occurrence's date after ``after``: the pattern's, moved to the next working
    day when ``business_days_only`` asks and the date is a day off."""
    day = pattern_date(rule, after)
    if not rule.business_days_only:
        return day
    for shift in range(MAX_SHIFT):
        if is_workday(day + timedelta(days=shift)):
            return day + timedelta(days=shift)
    return day
