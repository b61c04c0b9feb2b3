"""Which events reach a user on which channel, and when quiet hours hold a message."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from fenpei.domain.events import Channel, EventType
from fenpei.domain.preferences import (
    NotificationPreferences,
    digest_due,
    held_until,
    parse_hhmm,
    wants,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
ASSIGNED, REASSIGNED = EventType.assigned.value, EventType.reassigned.value


def _prefs(email_events: list[str] | None) -> NotificationPreferences:
    return NotificationPreferences(user_id=1, updated_at=NOW, email_events=email_events)


def test_the_users_own_choice_decides_email() -> None:
    prefs = _prefs([REASSIGNED])
    assert not wants(prefs, [ASSIGNED], ASSIGNED, Channel.email)
    assert wants(prefs, [ASSIGNED], REASSIGNED, Channel.email)


def test_an_empty_choice_turns_email_off_and_is_not_the_role_default() -> None:
    assert not wants(_prefs([]), [ASSIGNED, REASSIGNED], ASSIGNED, Channel.email)


def test_the_role_default_applies_when_the_user_chose_nothing() -> None:
    assert not wants(_prefs(None), [REASSIGNED], ASSIGNED, Channel.email)
    assert not wants(None, [REASSIGNED], ASSIGNED, Channel.email)
    assert wants(None, [REASSIGNED], REASSIGNED, Channel.email)


def test_with_no_choice_and_no_role_default_every_event_is_emailed() -> None:
    assert wants(None, None, ASSIGNED, Channel.email)
    assert wants(_prefs(None), None, EventType.pooled, Channel.email)


def test_the_inbox_and_standing_subscribers_are_always_on() -> None:
    for channel in (Channel.inbox, Channel.webhook, Channel.wecom):
        assert wants(_prefs([]), [], ASSIGNED, channel)


def _local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((2026, 11, 2, 12, 0), (2026, 11, 2, 14, 0)),  # the start is inside
        ((2026, 11, 2, 13, 59), (2026, 11, 2, 14, 0)),
        ((2026, 11, 2, 14, 0), None),  # the end is not
        ((2026, 11, 2, 11, 59), None),
    ],
)
def test_a_window_within_one_day(local: tuple[int, ...], expected: tuple[int, ...] | None) -> None:
    now = _local(SHANGHAI, *local)
    until = held_until(now, "12:00", "14:00", SHANGHAI)
    assert until == (_local(SHANGHAI, *expected) if expected else None)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((2026, 11, 2, 22, 0), (2026, 11, 3, 7, 0)),  # evening: until tomorrow morning
        ((2026, 11, 2, 23, 59), (2026, 11, 3, 7, 0)),
        ((2026, 11, 3, 0, 0), (2026, 11, 3, 7, 0)),  # after midnight: until this morning
        ((2026, 11, 3, 6, 59), (2026, 11, 3, 7, 0)),
        ((2026, 11, 3, 7, 0), None),
        ((2026, 11, 2, 21, 59), None),
        ((2026, 11, 2, 12, 0), None),
    ],
)
def test_a_window_spanning_midnight(
    local: tuple[int, ...], expected: tuple[int, ...] | None
) -> None:
    now = _local(SHANGHAI, *local)
    until = held_until(now, "22:00", "07:00", SHANGHAI)
    assert until == (_local(SHANGHAI, *expected) if expected else None)


def test_the_end_is_in_utc_and_read_in_the_users_zone() -> None:
    # 09:30 UTC is 17:30 in Shanghai: inside 17:00-18:00 there, not in Berlin (10:30).
    assert held_until(NOW, "17:00", "18:00", SHANGHAI) == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    assert held_until(NOW, "17:00", "18:00", BERLIN) is None
    until = held_until(NOW, "17:00", "18:00", SHANGHAI)
    assert until is not None and until.tzinfo is UTC


def test_quiet_hours_across_a_dst_change_end_at_the_wall_clock_time() -> None:
    # Berlin moves from CET (+1) to CEST (+2) at 02:00 on 29 March 2026: a night window
    # 22:00-07:00 ends at 07:00 CEST, 8 hours (not 9) after 22:00 CET.
    start = datetime(2026, 3, 28, 21, 0, tzinfo=UTC)  # 22:00 CET
    assert held_until(start, "22:00", "07:00", BERLIN) == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)
    # And back at the end of October (CEST -> CET): 07:00 CET, 10 hours after 22:00 CEST.
    autumn = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)  # 22:00 CEST
    assert held_until(autumn, "22:00", "07:00", BERLIN) == datetime(2026, 10, 25, 6, 0, tzinfo=UTC)


def test_an_end_in_the_spring_forward_gap_is_after_the_gap() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026; the hold ends at 03:30 CEST.
    now = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET
    until = held_until(now, "01:00", "02:30", BERLIN)
    assert until == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert until > now


@pytest.mark.parametrize(
    ("now", "last", "due"),
    [
        # 08:00 in Berlin (UTC+1) is 07:00 UTC; the day is Berlin's, not UTC's.
        (datetime(2026, 11, 3, 6, 59, tzinfo=UTC), None, False),
        (datetime(2026, 11, 3, 7, 0, tzinfo=UTC), None, True),
        (datetime(2026, 11, 3, 7, 0, tzinfo=UTC), datetime(2026, 11, 2, 7, 0, tzinfo=UTC), True),
        (datetime(2026, 11, 3, 9, 0, tzinfo=UTC), datetime(2026, 11, 3, 7, 0, tzinfo=UTC), False),
        # switched on at 00:30 Berlin (23:30 UTC the day before): that day has its start
        (datetime(2026, 11, 3, 7, 0, tzinfo=UTC), datetime(2026, 11, 2, 23, 30, tzinfo=UTC), False),
        (datetime(2026, 11, 4, 6, 59, tzinfo=UTC), datetime(2026, 11, 3, 7, 0, tzinfo=UTC), False),
    ],
)
def test_a_digest_is_due_once_a_local_day_from_8_on(
    now: datetime, last: datetime | None, due: bool
) -> None:
    assert digest_due(now, last, BERLIN) is due


def test_no_window_when_unset_or_start_equals_end() -> None:
    assert held_until(NOW, None, None, SHANGHAI) is None
    assert held_until(NOW, "17:00", None, SHANGHAI) is None
    assert held_until(NOW, "17:00", "17:00", SHANGHAI) is None


@pytest.mark.parametrize(
    "text", ["7:00", "24:00", "12:60", "12:00:00", "", "noon", "１２:００", "1٣:00"]
)
def test_a_time_of_day_must_be_hh_mm(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(text)
