"""The next date of a recurring task: month ends keep their day (Jan 31 → Feb 28/29 →
Mar 31), weekly patterns pick the next chosen weekday, and a day off moves a date to the
next working day without shifting the pattern."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fenpei.domain.task_recurrence import next_date, pattern_date
from fenpei.domain.tasks import Recurrence, RecurrenceKind

MONTHLY_31 = Recurrence(RecurrenceKind.monthly, day=31)


def every_day(_: date) -> bool:
    return True


def weekdays_only(day: date) -> bool:
    return day.weekday() < 5


def test_monthly_on_the_31st_takes_the_last_day_of_shorter_months_and_comes_back() -> None:
    seen = [date(2027, 1, 31)]
    for _ in range(4):
        seen.append(next_date(MONTHLY_31, seen[-1], every_day))
    assert seen == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30),
                    date(2027, 5, 31)]  # fmt: skip


def test_a_leap_february_has_its_29th() -> None:
    assert next_date(MONTHLY_31, date(2028, 1, 31), every_day) == date(2028, 2, 29)
    assert next_date(MONTHLY_31, date(2028, 2, 29), every_day) == date(2028, 3, 31)


def test_every_two_months_crosses_the_year() -> None:
    rule = Recurrence(RecurrenceKind.monthly, every=2, day=30)
    assert next_date(rule, date(2026, 12, 30), every_day) == date(2027, 2, 28)


def test_every_n_days() -> None:
    rule = Recurrence(RecurrenceKind.days, every=10)
    assert next_date(rule, date(2026, 12, 25), every_day) == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (date(2026, 12, 7), date(2026, 12, 9)),  # Monday → Wednesday
        (date(2026, 12, 9), date(2026, 12, 11)),  # Wednesday → Friday
        (date(2026, 12, 11), date(2026, 12, 21)),  # Friday → Monday two weeks on
    ],
)
def test_weekly_on_chosen_days_every_other_week(after: date, expected: date) -> None:
    rule = Recurrence(RecurrenceKind.weekly, every=2, weekdays=(0, 2, 4))
    assert next_date(rule, after, every_day) == expected


def test_a_day_off_moves_the_date_to_the_next_working_day_only_when_asked() -> None:
    # 1 November 2026 is a Sunday.
    plain = Recurrence(RecurrenceKind.monthly, day=1)
    working = Recurrence(RecurrenceKind.monthly, day=1, business_days_only=True)
    assert next_date(plain, date(2026, 10, 1), weekdays_only) == date(2026, 11, 1)
    assert next_date(working, date(2026, 10, 1), weekdays_only) == date(2026, 11, 2)


def test_holidays_move_a_date_past_the_whole_holiday() -> None:
    national_day = {date(2026, 10, 1) + timedelta(days=n) for n in range(7)}

    def workday(day: date) -> bool:
        return day not in national_day and (day.weekday() < 5 or day == date(2026, 10, 10))

    working = Recurrence(RecurrenceKind.monthly, day=1, business_days_only=True)
    assert next_date(working, date(2026, 9, 1), workday) == date(2026, 10, 8)
    # A make-up Saturday (调休) is a working day.
    daily = Recurrence(RecurrenceKind.days, every=1, business_days_only=True)
    assert next_date(daily, date(2026, 10, 9), workday) == date(2026, 10, 10)
    # The pattern carries on from its own date, not from the moved one.
    assert pattern_date(working, date(2026, 10, 1)) == date(2026, 11, 1)
