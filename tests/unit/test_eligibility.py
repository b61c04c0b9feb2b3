"""Who may receive a customer right now, and the reason given when someone may not."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from fenpei.domain.org import Leave, Rep
from fenpei.engine.capacity import Usage
from fenpei.engine.eligibility import exclusion_reason, has_skill, in_window, on_shift
from fenpei.engine.model import EffectiveWindow, RepState

# Monday 2 November 2026, 09:00 in Shanghai (UTC+8, no daylight saving).
MONDAY_9AM_SHANGHAI = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
NINE_TO_SIX = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def state(
    *,
    usage: Usage | None = None,
    leaves: tuple[Leave, ...] = (),
    **fields: Any,
) -> RepState:
    return RepState(
        rep=Rep(**{"name": "Alice", "id": 1, **fields}),
        usage=usage or Usage(0),
        leaves=leaves,
    )


def reason(st: RepState, now: datetime = MONDAY_9AM_SHANGHAI, *skills: str) -> str | None:
    return exclusion_reason(st, now=now, required_skills=skills)


# Availability -----------------------------------------------------------------------


def test_an_active_rep_with_no_limits_hours_or_leave_is_eligible() -> None:
    assert reason(state()) is None


def test_an_inactive_rep_is_excluded_as_inactive() -> None:
    assert reason(state(active=False)) == "inactive"


def test_a_rep_away_by_the_manual_switch_is_excluded() -> None:
    assert reason(state(away=True)) == "away (manual switch)"


def test_a_partial_day_leave_excludes_the_rep_and_names_its_end_in_their_time_zone() -> None:
    leave = Leave(
        rep_id=1,
        starts_at=MONDAY_9AM_SHANGHAI - timedelta(hours=1),
        ends_at=MONDAY_9AM_SHANGHAI + timedelta(hours=3, minutes=30),
    )

    assert reason(state(leaves=(leave,))) == "on leave until 2026-11-02 12:30"
    assert (
        reason(state(leaves=(leave,), time_zone="Europe/London"))
        == "on leave until 2026-11-02 04:30"
    )


def test_a_leave_covers_its_start_but_not_its_end() -> None:
    leave = Leave(rep_id=1, starts_at=MONDAY_9AM_SHANGHAI, ends_at=MONDAY_9AM_SHANGHAI + HOUR)
    on_leave = state(leaves=(leave,))

    assert reason(on_leave, MONDAY_9AM_SHANGHAI - timedelta(microseconds=1)) is None
    assert reason(on_leave, MONDAY_9AM_SHANGHAI) is not None
    assert reason(on_leave, MONDAY_9AM_SHANGHAI + HOUR - timedelta(microseconds=1)) is not None
    assert reason(on_leave, MONDAY_9AM_SHANGHAI + HOUR) is None


def test_a_leave_in_the_past_or_the_future_does_not_exclude() -> None:
    past = Leave(rep_id=1, starts_at=MONDAY_9AM_SHANGHAI - 3 * HOUR, ends_at=MONDAY_9AM_SHANGHAI)
    future = Leave(
        rep_id=1, starts_at=MONDAY_9AM_SHANGHAI + HOUR, ends_at=MONDAY_9AM_SHANGHAI + 9 * HOUR
    )

    assert reason(state(leaves=(past, future))) is None


# Working hours, in the rep's own time zone -------------------------------------------


def test_working_hours_start_at_nine_local_time_not_a_minute_before() -> None:
    minute_before = MONDAY_9AM_SHANGHAI - timedelta(minutes=1)  # 08:59 in Shanghai

    assert not on_shift(NINE_TO_SIX, "Asia/Shanghai", minute_before)
    assert on_shift(NINE_TO_SIX, "Asia/Shanghai", MONDAY_9AM_SHANGHAI)
    assert reason(state(working_hours=NINE_TO_SIX), minute_before) == "off shift"
    assert reason(state(working_hours=NINE_TO_SIX)) is None


def test_working_hours_end_exclusive() -> None:
    six_pm = MONDAY_9AM_SHANGHAI + 9 * HOUR

    assert on_shift(NINE_TO_SIX, "Asia/Shanghai", six_pm - timedelta(seconds=1))
    assert not on_shift(NINE_TO_SIX, "Asia/Shanghai", six_pm)


def test_the_same_instant_is_judged_in_each_reps_own_zone() -> None:
    # 01:00 UTC is 09:00 in Shanghai but 20:00 on Sunday in New York.
    assert on_shift(NINE_TO_SIX, "Asia/Shanghai", MONDAY_9AM_SHANGHAI)
    assert not on_shift(NINE_TO_SIX, "America/New_York", MONDAY_9AM_SHANGHAI)


def test_a_weekday_without_hours_is_off_shift_all_day() -> None:
    saturday_noon = datetime(2026, 11, 7, 4, 0, tzinfo=UTC)  # 12:00 Saturday in Shanghai

    assert not on_shift(NINE_TO_SIX, "Asia/Shanghai", saturday_noon)
    assert on_shift({**NINE_TO_SIX, "sat": [["10:00", "14:00"]]}, "Asia/Shanghai", saturday_noon)


def test_no_working_hours_set_means_always_on_shift() -> None:
    assert on_shift({}, "Asia/Shanghai", datetime(2026, 11, 8, 19, 0, tzinfo=UTC))


def test_twenty_four_hundred_closes_the_day_including_its_last_minute() -> None:
    evening = {"mon": [["18:00", "24:00"]]}
    monday_2359 = datetime(2026, 11, 2, 15, 59, 30, tzinfo=UTC)  # 23:59:30 Monday, Shanghai
    tuesday_0000 = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)

    assert on_shift(evening, "Asia/Shanghai", monday_2359)
    assert not on_shift(evening, "Asia/Shanghai", tuesday_0000)  # Tuesday has no hours


@pytest.mark.parametrize(
    ("local_time", "working"),
    [("08:30", False), ("11:59", True), ("12:00", False), ("13:29", False), ("13:30", True)],
)
def test_a_split_shift_leaves_the_lunch_break_off(local_time: str, working: bool) -> None:
    split = {"mon": [["09:00", "12:00"], ["13:30", "18:00"]]}
    hours, minutes = map(int, local_time.split(":"))
    moment = datetime(2026, 11, 2, hours - 8, minutes, tzinfo=UTC)

    assert on_shift(split, "Asia/Shanghai", moment) is working


# Skills -----------------------------------------------------------------------------


def test_a_kind_and_value_skill_looks_in_that_list_ignoring_case_and_spaces() -> None:
    rep = Rep(name="Dan", skills={"industries": ["Retail", "Finance"], "languages": ["en"]})

    assert has_skill(rep, "industries:retail")
    assert has_skill(rep, "industries: RETAIL ")
    assert has_skill(rep, "languages:EN")
    assert not has_skill(rep, "languages:retail")  # the right word in the wrong list
    assert not has_skill(rep, "products:retail")


def test_a_plain_skill_looks_in_the_tags_ignoring_case() -> None:
    rep = Rep(name="Alice", tags=["Senior", "vip"], skills={"industries": ["senior"]})

    assert has_skill(rep, "senior")
    assert has_skill(rep, "VIP")
    assert not has_skill(rep, "retail")


def test_missing_required_skills_are_all_named() -> None:
    st = state(skills={"industries": ["retail"]}, tags=["senior"])

    assert reason(st, MONDAY_9AM_SHANGHAI, "industries:retail", "senior") is None
    assert (
        reason(st, MONDAY_9AM_SHANGHAI, "industries:finance", "senior", "languages:ja")
        == "lacks skill industries:finance, languages:ja"
    )


# Capacity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "usage", "expected"),
    [
        ({"max_open": 40}, Usage(40), "at capacity: 40/40 open customers"),
        (
            {"max_per_day": 5},
            Usage(0, received_day=5),
            "at capacity: 5/5 new customers today",
        ),
        (
            {"max_per_week": 20},
            Usage(0, received_week=20),
            "at capacity: 20/20 new customers this week",
        ),
        (
            {"max_per_month": 60},
            Usage(0, received_month=61),
            "at capacity: 61/60 new customers this month",
        ),
    ],
)
def test_each_capacity_limit_excludes_a_rep_who_reached_it(
    limit: dict[str, Any], usage: Usage, expected: str
) -> None:
    assert reason(state(usage=usage, **limit)) == expected


def test_one_below_a_limit_is_still_eligible() -> None:
    st = state(
        usage=Usage(39, 4, 19, 59), max_open=40, max_per_day=5, max_per_week=20, max_per_month=60
    )

    assert reason(st) is None


def test_a_max_open_of_zero_takes_nobody() -> None:
    assert reason(state(max_open=0)) == "at capacity: 0/0 open customers"


# The order a manager reads the reasons in -----------------------------------------------


def test_the_first_reason_wins_in_the_order_inactive_away_leave_shift_skill_capacity() -> None:
    leave = Leave(
        rep_id=1, starts_at=MONDAY_9AM_SHANGHAI - HOUR, ends_at=MONDAY_9AM_SHANGHAI + HOUR
    )
    problems: dict[str, Any] = {
        "active": False,
        "away": True,
        "leaves": (leave,),
        "working_hours": {"sun": [["09:00", "18:00"]]},
        "max_open": 1,
        "usage": Usage(1),
    }
    # Fix one problem at a time: the next one in line becomes the reason.
    steps: list[tuple[dict[str, Any], str | None]] = [
        ({}, "inactive"),
        ({"active": True}, "away (manual switch)"),
        ({"away": False}, "on leave until 2026-11-02 10:00"),
        ({"leaves": ()}, "off shift"),
        ({"working_hours": {}}, "lacks skill languages:ja"),
        ({"skills": {"languages": ["ja"]}}, "at capacity: 1/1 open customers"),
        ({"usage": Usage(0)}, None),
    ]

    for fix, expected in steps:
        problems.update(fix)
        assert reason(state(**problems), MONDAY_9AM_SHANGHAI, "languages:ja") == expected


# Rule windows -----------------------------------------------------------------------


def shanghai(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - 8 * HOUR


def test_no_window_means_always() -> None:
    assert in_window(None, MONDAY_9AM_SHANGHAI)


def test_window_dates_include_both_ends_in_the_windows_zone() -> None:
    window = EffectiveWindow(starts_on=date(2026, 11, 2), ends_on=date(2026, 11, 30))

    assert not in_window(window, shanghai(date(2026, 11, 1), 23, 59))
    assert in_window(window, shanghai(date(2026, 11, 2), 0, 0))
    assert in_window(window, shanghai(date(2026, 11, 30), 23, 59))
    assert not in_window(window, shanghai(date(2026, 12, 1), 0, 0))


def test_an_open_ended_window_has_only_the_bound_it_names() -> None:
    from_november = EffectiveWindow(starts_on=date(2026, 11, 2))
    until_november = EffectiveWindow(ends_on=date(2026, 11, 2))
    late = shanghai(date(2030, 1, 1), 12)
    early = shanghai(date(2000, 1, 1), 12)

    assert in_window(from_november, late) and not in_window(from_november, early)
    assert in_window(until_november, early) and not in_window(until_november, late)


def test_window_weekdays_count_from_monday_zero() -> None:
    weekdays_only = EffectiveWindow(weekdays=frozenset(range(5)))

    assert in_window(weekdays_only, shanghai(date(2026, 11, 6), 12))  # Friday
    assert not in_window(weekdays_only, shanghai(date(2026, 11, 7), 12))  # Saturday


def test_window_hours_start_inclusive_end_exclusive() -> None:
    office = EffectiveWindow(hours=("09:00", "18:00"))
    monday = date(2026, 11, 2)

    assert not in_window(office, shanghai(monday, 8, 59))
    assert in_window(office, shanghai(monday, 9, 0))
    assert in_window(office, shanghai(monday, 17, 59))
    assert not in_window(office, shanghai(monday, 18, 0))


def test_window_hours_up_to_twenty_four_hundred_reach_midnight() -> None:
    evening = EffectiveWindow(hours=("18:00", "24:00"))

    assert in_window(evening, shanghai(date(2026, 11, 2), 23, 59))
    assert not in_window(evening, shanghai(date(2026, 11, 2), 17, 59))


def test_the_window_is_read_in_its_own_time_zone() -> None:
    # 01:00 UTC on Monday: 09:00 Monday in Shanghai, 20:00 Sunday in New York.
    shanghai_office = EffectiveWindow(weekdays=frozenset(range(5)), hours=("09:00", "18:00"))
    new_york_office = EffectiveWindow(
        time_zone="America/New_York", weekdays=frozenset(range(5)), hours=("09:00", "18:00")
    )
    new_york_sunday = EffectiveWindow(time_zone="America/New_York", weekdays=frozenset({6}))

    assert in_window(shanghai_office, MONDAY_9AM_SHANGHAI)
    assert not in_window(new_york_office, MONDAY_9AM_SHANGHAI)
    assert in_window(new_york_sunday, MONDAY_9AM_SHANGHAI)


def test_a_window_date_is_the_local_date_not_the_utc_one() -> None:
    # 20:00 UTC on 1 November is already 2 November in Shanghai.
    window = EffectiveWindow(starts_on=date(2026, 11, 2), ends_on=date(2026, 11, 2))

    assert in_window(window, datetime(2026, 11, 1, 20, 0, tzinfo=UTC))
    assert not in_window(window, datetime(2026, 11, 2, 20, 0, tzinfo=UTC))


def test_twenty_four_hundred_includes_the_last_second_of_the_day() -> None:
    evening = {"mon": [["18:00", "24:00"]]}
    last_second = datetime(2026, 11, 2, 15, 59, 59, 500_000, tzinfo=UTC)  # 23:59:59.5 Shanghai

    assert on_shift(evening, "Asia/Shanghai", last_second)
    assert in_window(EffectiveWindow(hours=("18:00", "24:00")), last_second)
