"""Notification preferences (通知偏好): which events reach a user on which channels, and the
quiet hours (免打扰时段) during which their messages wait.

The in-app inbox is always on: a rep always sees everything about their customers there,
so only the other channels (email for now) can be switched off. A user who has not chosen
gets their role's default (set by an admin), and a role with no default gets every event.
Quiet hours are wall-clock times in the user's zone; a window may span midnight
(22:00-07:00), and a window whose start equals its end is no window at all.

A user may take a daily digest (每日摘要) instead of one email per event: their events are
then emailed once a day, at the first digest run at/after ``DIGEST_AT`` in their zone
(services/notifications/digest.py), and never one by one."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fenpei.domain.events import Channel, EventType
from fenpei.domain.phrases import Phrase
from fenpei.domain.users import Role

# The channels a user may switch events off on (the inbox is not one of them).
CHOOSABLE_CHANNELS = (Channel.email,)
# The events a user may choose among: every event but the webhook test event and the
# digest (which carries the chosen events).
CHOOSABLE_EVENTS = tuple(t.value for t in EventType if t not in (EventType.test, EventType.digest))
DIGEST_AT = time(8, 0)  # the digest goes at the first run at/after this, local time
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)", re.ASCII)


@dataclass(eq=False)
class NotificationPreferences:
    """One user's choices; ``email_events`` None means "my role's default"."""

    user_id: int
    updated_at: datetime
    email_events: list[str] | None = None
    quiet_start: str | None = None  # "HH:MM", with quiet_end, or both None
    quiet_end: str | None = None
    digest: bool = False  # one email a day instead of one per event
    # Where the next digest starts: when the last one was made, or when the digest was
    # switched on (events before that were emailed one by one). None: the last 24 hours.
    last_digest_at: datetime | None = None


@dataclass(eq=False)
class RoleNotificationDefaults:
    """What a role's users get on email until they choose for themselves."""

    role: Role
    email_events: list[str]


def parse_hhmm(text: str) -> time:
    """``"07:30"`` as a time; ValueError saying what is wrong otherwise."""
    match = _HHMM.fullmatch(text)
    if match is None:
        text_shown = "must be a time of day as HH:MM (00:00 to 23:59), got {got!r}"
        raise ValueError(Phrase("time_of_day", text_shown, got=text))
    return time(int(match[1]), int(match[2]))


def wants(
    prefs: NotificationPreferences | None,
    role_default: Collection[str] | None,
    event_type: str,
    channel: Channel,
) -> bool:
    """Whether a message about ``event_type`` goes to the user on ``channel``: their own
    choice, else their role's default, else yes. The inbox and the channels users do not
    choose on (robots, webhooks: standing subscribers) are always yes."""
    if channel not in CHOOSABLE_CHANNELS:
        return True
    chosen = prefs.email_events if prefs is not None else None
    if chosen is None:
        chosen = list(role_default) if role_default is not None else None
    return chosen is None or str(event_type) in chosen


def digest_due(now: datetime, last_digest_at: datetime | None, zone: ZoneInfo) -> bool:
    """Whether a digest user's digest is due: it is ``DIGEST_AT`` or later in ``zone`` and
    no digest was made (nor the digest switched on) earlier on that local date."""
    local = now.astimezone(zone)
    if local.time().replace(tzinfo=None) < DIGEST_AT:
        return False
    return last_digest_at is None or last_digest_at.astimezone(zone).date() < local.date()


def held_until(
    now: datetime, quiet_start: str | None, quiet_end: str | None, zone: ZoneInfo
) -> datetime | None:
    """When the quiet hours ``now`` falls in end (in UTC), or None if it is not in them.

    Times are compared on the wall clock of ``zone`` and the end is built from a calendar
    date, never by adding hours to an aware datetime, so a DST change inside the window
    moves the end with the clock. An end that falls in a spring-forward gap (02:30 on a day
    that skips 02:00-03:00) is read in the offset before the change (zoneinfo's fold=0),
    i.e. 03:30 on the new clock: still after the gap, never before ``now``."""
    if quiet_start is None or quiet_end is None:
        return None
    start, end = parse_hhmm(quiet_start), parse_hhmm(quiet_end)
    if start == end:
        return None
    local = now.astimezone(zone)
    clock, today = local.time().replace(tzinfo=None), local.date()
    if start < end:  # 12:00-14:00: within one day
        inside, end_day = start <= clock < end, today
    elif clock >= start:  # 22:00-07:00, evening part: ends tomorrow
        inside, end_day = True, today + timedelta(days=1)
    else:  # 22:00-07:00, morning part: ends today
        inside, end_day = clock < end, today
    return _at(end_day, end, zone) if inside else None


def _at(day: date, wall: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)
