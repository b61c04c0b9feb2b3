"""Business time: working hours in a zone, lunch breaks, weekends, holidays, make-up
workdays and summer time; and, on short spans, the same answers as counting minute by
minute."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fenpei.domain.business_time import NoBusinessTime, WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def default(zone: ZoneInfo = SHANGHAI, **days: frozenset[date]) -> WorkCalendar:
    return WorkCalendar({}, zone, **days)


def test_no_hours_set_means_weekdays_nine_to_six_with_lunch_at_noon() -> None:
    calendar = default()
    monday = date(2026, 11, 30)
    assert [
        (s.astimezone(SHANGHAI).hour, e.astimezone(SHANGHAI).hour)
        for s, e in calendar.spans_on(monday)
    ] == [(9, 12), (13, 18)]
    assert calendar.spans_on(date(2026, 12, 5)) == []  # a Saturday


def test_lunch_break_does_not_count() -> None:
    calendar = default()
    start = at(SHANGHAI, 2026, 12, 1, 11, 30)
    assert calendar.add(start, 60) == at(SHANGHAI, 2026, 12, 1, 13, 30)
    assert calendar.elapsed(start, at(SHANGHAI, 2026, 12, 1, 13, 30)) == 60


def test_a_weekend_is_skipped() -> None:
    calendar = default()
    friday_five = at(SHANGHAI, 2026, 12, 4, 17, 0)
    assert calendar.add(friday_five, 120) == at(SHANGHAI, 2026, 12, 7, 10, 0)
    assert calendar.elapsed(friday_five, at(SHANGHAI, 2026, 12, 7, 10, 0)) == 120


def test_a_holiday_week_is_skipped_and_a_make_up_saturday_is_worked() -> None:
    national_day = frozenset(date(2026, 10, d) for d in range(1, 8))
    saturday = frozenset({date(2026, 10, 10)})
    calendar = default(holidays=national_day, workdays=saturday)
    sept_30_five = at(SHANGHAI, 2026, 9, 30, 17, 0)
    # 1 hour on Sept 30, nothing Oct 1-7, Oct 8 (Thu) and 9 (Fri) 8 hours each
    assert calendar.add(sept_30_five, 60 + 8 * 60) == at(SHANGHAI, 2026, 10, 8, 18, 0)
    # the 调休 Saturday has a weekday's hours, lunch included
    assert calendar.add(sept_30_five, 60 + 16 * 60 + 180) == at(SHANGHAI, 2026, 10, 10, 12, 0)
    assert calendar.add(sept_30_five, 60 + 16 * 60 + 181) == at(SHANGHAI, 2026, 10, 10, 13, 1)
    without = default()
    assert without.add(sept_30_five, 61) == at(SHANGHAI, 2026, 10, 1, 9, 1)


def test_a_rep_in_new_york_counts_in_new_york_hours() -> None:
    hours = {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    ny = WorkCalendar(hours, NEW_YORK)
    shanghai = WorkCalendar(hours, SHANGHAI)
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 Shanghai, 20:00 NY the day before
    assert shanghai.add(start, 30) == at(SHANGHAI, 2026, 12, 1, 9, 30)
    assert ny.add(start, 30) == at(NEW_YORK, 2026, 12, 1, 8, 30)


def test_summer_time_change_in_new_york_keeps_wall_clock_hours() -> None:
    hours = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    ny = WorkCalendar(hours, NEW_YORK)
    # 2026-03-08 02:00 the clocks jump to 03:00; a working day is still 8 hours long.
    saturday_four = at(NEW_YORK, 2026, 3, 7, 16, 0)
    due = ny.add(saturday_four, 120)
    assert due == at(NEW_YORK, 2026, 3, 8, 10, 0)
    assert due - saturday_four == timedelta(hours=17)  # 18 wall hours, one of them skipped
    assert ny.elapsed(saturday_four, due) == 120
    # a night span across the jump holds one real hour less
    night = WorkCalendar({"sun": [["01:00", "04:00"]]}, NEW_YORK)
    assert night.elapsed(at(NEW_YORK, 2026, 3, 8, 0, 0), at(NEW_YORK, 2026, 3, 8, 6, 0)) == 120


def test_zero_minutes_is_the_start_and_a_calendar_without_work_says_so() -> None:
    start = at(SHANGHAI, 2026, 12, 5, 22, 0)
    assert default().add(start, 0) == start
    # hours without a single span are the default week, never "no time at all"
    assert WorkCalendar({"mon": []}, SHANGHAI).add(start, 1) == at(SHANGHAI, 2026, 12, 7, 9, 1)
    every_day = frozenset(date(2026, 12, 5) + timedelta(days=n) for n in range(3 * 366 + 2))
    with pytest.raises(NoBusinessTime):
        default(holidays=every_day).add(start, 1)
    assert default().elapsed(start, start - timedelta(hours=1)) == 0


def _reference_working(calendar: WorkCalendar, moment: datetime) -> bool:
    """Minute by minute: is this instant inside a working span of its local day?"""
    local = moment.astimezone(calendar.zone)
    day = local.date()
    if day in calendar.holidays:
        return False
    hours = calendar.hours or {
        d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
    }
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    key = names[day.weekday()]
    if day in calendar.workdays and day.weekday() >= 5:
        key = next(d for d in names[:5] if hours.get(d))
    text = local.strftime("%H:%M")
    return any(a <= text < b for a, b in hours.get(key, []))


def _reference_elapsed(calendar: WorkCalendar, start: datetime, end: datetime) -> int:
    minutes, moment = 0, start
    while moment < end:
        minutes += _reference_working(calendar, moment)
        moment += timedelta(minutes=1)
    return minutes


HOURS = st.sampled_from(
    [
        {},
        {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], "sat": [["10:00", "11:30"]]},
        {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        {d: [["00:00", "06:00"], ["22:00", "24:00"]] for d in ("tue", "wed", "sun")},
    ]
)
ZONES = st.sampled_from([SHANGHAI, NEW_YORK, ZoneInfo("Europe/London")])
# Around New York's and London's spring and autumn changes, and China's National Day.
STARTS = st.sampled_from(
    [
        datetime(2026, 3, 6, tzinfo=UTC),
        datetime(2026, 10, 23, tzinfo=UTC),
        datetime(2026, 9, 29, tzinfo=UTC),
        datetime(2026, 3, 27, tzinfo=UTC),
    ]
).flatmap(lambda base: st.integers(0, 4 * 24 * 60).map(lambda m: base + timedelta(minutes=m)))
OFF = frozenset({date(2026, 10, 1), date(2026, 10, 2), date(2026, 3, 9)})
ON = frozenset({date(2026, 10, 10), date(2026, 3, 7)})


@settings(max_examples=60, deadline=None)
@given(hours=HOURS, zone=ZONES, start=STARTS, minutes=st.integers(0, 3 * 60 * 24))
def test_business_time_agrees_with_counting_minute_by_minute(
    hours: dict[str, list[list[str]]], zone: ZoneInfo, start: datetime, minutes: int
) -> None:
    calendar = WorkCalendar(hours, zone, OFF, ON)
    end = start + timedelta(minutes=minutes)
    assert calendar.elapsed(start, end) == _reference_elapsed(calendar, start, end)


@settings(max_examples=100, deadline=None)
@given(
    hours=HOURS, zone=ZONES, start=STARTS, minutes=st.integers(0, 5000), more=st.integers(0, 500)
)
def test_add_then_elapsed_gives_the_minutes_back_and_both_only_grow(
    hours: dict[str, list[list[str]]], zone: ZoneInfo, start: datetime, minutes: int, more: int
) -> None:
    calendar = WorkCalendar(hours, zone, OFF, ON)
    due = calendar.add(start, minutes)
    assert calendar.elapsed(start, due) == minutes
    assert calendar.add(start, minutes + more) >= due
    assert calendar.elapsed(start, due + timedelta(minutes=more)) >= minutes
    if minutes:
        # the due moment is the end of a working minute: the minute before it was worked
        assert _reference_working(calendar, due - timedelta(minutes=1))
