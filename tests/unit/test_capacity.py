"""The capacity constraint: open holdings and intake per local day, week and month, each
limit on its own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fenpei.domain.org import Capacity, Rep
from fenpei.engine.capacity import Periods, Usage, capacity_breach, intake, periods

LIMITS = [
    ("max_open", "open_count", "open customers"),
    ("max_per_day", "received_day", "new customers today"),
    ("max_per_week", "received_week", "new customers this week"),
    ("max_per_month", "received_month", "new customers this month"),
]


def test_a_rep_without_limits_always_has_room() -> None:
    assert capacity_breach(Capacity(), Usage(10_000, 500, 900, 2_000), adding=50) is None


@pytest.mark.parametrize(("limit", "used", "what"), LIMITS)
def test_each_limit_allows_up_to_and_including_the_limit(limit: str, used: str, what: str) -> None:
    capacity = Capacity(**{limit: 3})
    assert capacity_breach(capacity, Usage(**{"open_count": 0, used: 2})) is None


@pytest.mark.parametrize(("limit", "used", "what"), LIMITS)
def test_each_limit_refuses_one_more_and_says_which_limit(limit: str, used: str, what: str) -> None:
    capacity = Capacity(**{limit: 3})
    assert capacity_breach(capacity, Usage(**{"open_count": 0, used: 3})) == f"3/3 {what}"


@pytest.mark.parametrize(("limit", "used", "what"), LIMITS)
def test_adding_several_counts_them_all_against_each_limit(
    limit: str, used: str, what: str
) -> None:
    capacity = Capacity(**{limit: 5})
    usage = Usage(**{"open_count": 0, used: 2})
    assert capacity_breach(capacity, usage, adding=3) is None
    assert capacity_breach(capacity, usage, adding=4) == f"2/5 {what} (+4 would exceed)"


def test_only_adding_several_says_how_many_would_exceed() -> None:
    full = Capacity(max_open=1)
    assert capacity_breach(full, Usage(1), adding=1) == "1/1 open customers"
    assert capacity_breach(full, Usage(1), adding=2) == "1/1 open customers (+2 would exceed)"


def test_a_limit_of_zero_refuses_any_customer() -> None:
    assert capacity_breach(Capacity(max_per_day=0), Usage(0)) == "0/0 new customers today"


def test_the_first_limit_breached_is_the_one_reported_open_then_day_week_month() -> None:
    full = Capacity(max_open=1, max_per_day=1, max_per_week=1, max_per_month=1)
    assert capacity_breach(full, Usage(1, 1, 1, 1)) == "1/1 open customers"
    assert capacity_breach(full, Usage(0, 0, 1, 1)) == "1/1 new customers this week"


@settings(database=None, derandomize=True)
@given(
    limits=st.tuples(*[st.none() | st.integers(0, 50)] * 4),
    used=st.tuples(*[st.integers(0, 60)] * 4),
    adding=st.integers(0, 10),
)
def test_a_breach_is_reported_exactly_when_some_limit_would_be_exceeded(
    limits: tuple[int | None, ...], used: tuple[int, ...], adding: int
) -> None:
    breach = capacity_breach(Capacity(*limits), Usage(*used), adding=adding)
    exceeded = [
        lim is not None and use + adding > lim for lim, use in zip(limits, used, strict=True)
    ]
    assert (breach is not None) == any(exceeded)
    if breach is not None:
        assert breach.endswith(f" (+{adding} would exceed)") == (adding > 1)


def test_periods_are_the_local_day_the_week_from_monday_and_the_month() -> None:
    # 2026-11-01 16:30 UTC is Monday 2 November 00:30 in Shanghai, still Sunday in New York.
    at = datetime(2026, 11, 1, 16, 30, tzinfo=UTC)
    assert periods(at, "Asia/Shanghai") == Periods(
        date(2026, 11, 2), date(2026, 11, 2), date(2026, 11, 1)
    )
    assert periods(at, "America/New_York") == Periods(
        date(2026, 11, 1), date(2026, 10, 26), date(2026, 11, 1)
    )
    # A zone this machine does not know counts as UTC rather than failing a decision.
    assert periods(at, "Mars/Olympus") == periods(at, "UTC")


def test_intake_counts_what_fell_in_the_current_local_periods_only() -> None:
    now = datetime(2026, 11, 4, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai
    received = [
        datetime(2026, 11, 3, 16, 0, tzinfo=UTC),  # Wednesday 00:00 local: today
        datetime(2026, 11, 3, 15, 59, tzinfo=UTC),  # Tuesday 23:59 local: this week
        datetime(2026, 11, 1, 16, 0, tzinfo=UTC),  # Monday 00:00 local: this week
        datetime(2026, 11, 1, 15, 59, tzinfo=UTC),  # Sunday: this month only
        datetime(2026, 10, 31, 15, 59, tzinfo=UTC),  # 31 October local: last month
    ]
    assert intake(received, now, "Asia/Shanghai") == (1, 3, 4)
    # The same instants in UTC: Wednesday began at 00:00 UTC and the first two fell on
    # Sunday 1 November, last week.
    assert intake(received, now, "UTC") == (0, 2, 4)


def test_a_day_across_a_daylight_saving_change_is_still_one_local_day() -> None:
    # New York falls back on 2026-11-01: that local day lasts 25 hours.
    now = datetime(2026, 11, 2, 4, 30, tzinfo=UTC)  # 23:30 on 1 November, EST
    early = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 00:00 on 1 November, EDT
    assert intake([early], now, "America/New_York") == (1, 1, 1)
    # A minute before: Saturday 31 October, the same week (from Monday 26 October).
    assert intake([early - timedelta(minutes=1)], now, "America/New_York") == (0, 1, 0)


def test_a_reps_capacity_is_its_four_limits() -> None:
    rep = Rep(name="Wang Fang", max_open=30, max_per_day=5, max_per_week=None, max_per_month=80)
    assert rep.capacity == Capacity(max_open=30, max_per_day=5, max_per_month=80)
