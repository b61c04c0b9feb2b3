"""The capacity constraint: open holdings and rolling intake windows, each limit on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fenpei.domain.org import Capacity, Rep
from fenpei.engine.capacity import Usage, capacity_breach, intake_window_starts

LIMITS = [
    ("max_open", "open_count", "open customers"),
    ("max_per_day", "received_day", "new customers in 24 hours"),
    ("max_per_week", "received_week", "new customers in 7 days"),
    ("max_per_month", "received_month", "new customers in 30 days"),
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
    assert capacity_breach(Capacity(max_per_day=0), Usage(0)) == "0/0 new customers in 24 hours"


def test_the_first_limit_breached_is_the_one_reported_open_then_day_week_month() -> None:
    full = Capacity(max_open=1, max_per_day=1, max_per_week=1, max_per_month=1)
    assert capacity_breach(full, Usage(1, 1, 1, 1)) == "1/1 open customers"
    assert capacity_breach(full, Usage(0, 0, 1, 1)) == "1/1 new customers in 7 days"


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


def test_intake_windows_are_the_rolling_day_week_and_30_days_before_now() -> None:
    now = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    assert intake_window_starts(now) == (
        now - timedelta(days=1),
        now - timedelta(days=7),
        now - timedelta(days=30),
    )


def test_a_reps_capacity_is_its_four_limits() -> None:
    rep = Rep(name="Wang Fang", max_open=30, max_per_day=5, max_per_week=None, max_per_month=80)
    assert rep.capacity == Capacity(max_open=30, max_per_day=5, max_per_month=80)
