"""Business time (工作时间): a rep's working hours in their time zone, less holidays, plus
make-up workdays (调休), and arithmetic on it by whole intervals — a day's working spans
at a time, never second by second.

A rep with no working hours set (or only days without spans) gets ``DEFAULT_HOURS``:
Monday to Friday, 09:00–12:00 and 13:00–18:00 (a lunch break 12:00–13:00). A holiday is a
day off whatever the hours say; a make-up workday (a Saturday or Sunday worked) has the
hours of the rep's first working day of Monday–Friday (``DEFAULT_HOURS``' if none). Each
span is turned into UTC instants on its own local day, so a day that changes to or from
summer time counts what the clock on the wall really allowed (a 09:00–18:00 day is 9 hours
either way; a span over the 02:00 jump is one hour shorter).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS: Mapping[str, Sequence[Sequence[str]]] = {
    day: (("09:00", "12:00"), ("13:00", "18:00")) for day in WEEKDAYS[:5]
}
# How far ``add`` looks for working time before it gives up (a calendar with no working
# day at all, or holidays every day, has none).
MAX_DAYS = 3 * 366


class DayKind(StrEnum):
    """What a calendar entry makes a day: off (holiday) or worked (make-up workday, 调休)."""

    holiday = "holiday"
    workday = "workday"


class NoBusinessTime(ValueError):
    """The calendar has no working time within ``MAX_DAYS`` of the start."""


Span = tuple[datetime, datetime]  # [start, end) in UTC


def _clock(text: str) -> tuple[time, int]:
    """A "HH:MM" as a time of day and a day offset ("24:00" is the next midnight)."""
    return (time(0), 1) if text == "24:00" else (time.fromisoformat(text), 0)


@dataclass(frozen=True)
class WorkCalendar:
    """Working hours by weekday ({"mon": [["09:00","12:00"], …]}; empty: ``DEFAULT_HOURS``)
    in ``zone``, with ``holidays`` off and ``workdays`` worked (local dates)."""

    hours: Mapping[str, Sequence[Sequence[str]]]
    zone: ZoneInfo
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    _week: dict[str, list[tuple[tuple[time, int], tuple[time, int]]]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        # No hours, or only days without spans: the default week (a rep always has one).
        hours = self.hours if any(self.hours.get(day) for day in WEEKDAYS) else DEFAULT_HOURS
        for day in WEEKDAYS:
            spans = sorted((str(a), str(b)) for a, b in hours.get(day, ()))
            merged: list[list[str]] = []
            for start, end in spans:  # overlapping or touching spans count once
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            self._week[day] = [(_clock(a), _clock(b)) for a, b in merged if a < b]
        weekday = next((self._week[d] for d in WEEKDAYS[:5] if self._week[d]), None)
        self._week["makeup"] = weekday or [(_clock(a), _clock(b)) for a, b in DEFAULT_HOURS["mon"]]

    def spans_on(self, day: date) -> list[Span]:
        """The day's working spans as UTC instants, in order."""
        if day in self.holidays:
            return []
        key = "makeup" if day in self.workdays and day.weekday() >= 5 else WEEKDAYS[day.weekday()]
        spans: list[Span] = []
        for (start, start_days), (end, end_days) in self._week[key]:
            begin = self._instant(day + timedelta(days=start_days), start)
            finish = self._instant(day + timedelta(days=end_days), end)
            if begin < finish:
                spans.append((begin, finish))
        return spans

    def _instant(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.zone).astimezone(UTC)

    def _spans_from(self, start: datetime) -> Iterator[Span]:
        first = start.astimezone(self.zone).date() - timedelta(days=1)
        for offset in range(MAX_DAYS + 2):
            yield from self.spans_on(first + timedelta(days=offset))

    def add(self, start: datetime, business_minutes: int) -> datetime:
        """The moment ``business_minutes`` of working time after ``start`` (``start``
        itself for 0); NoBusinessTime if the calendar has none for years."""
        if business_minutes < 0:
            raise ValueError("business_minutes must not be negative")
        if business_minutes == 0:
            return start
        left = timedelta(minutes=business_minutes)
        start = start.astimezone(UTC)
        for begin, end in self._spans_from(start):
            begin = max(begin, start)
            if begin >= end:
                continue
            if left <= end - begin:
                return begin + left
            left -= end - begin
        raise NoBusinessTime(f"no working time within {MAX_DAYS} days of {start.isoformat()}")

    def elapsed_delta(self, start: datetime, end: datetime) -> timedelta:
        """Working time between ``start`` and ``end`` (zero if ``end`` is not later)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta(0)
        if end <= start:
            return total
        last = end.astimezone(self.zone).date() + timedelta(days=1)
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        while day <= last:
            for begin, finish in self.spans_on(day):
                overlap = min(finish, end) - max(begin, start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def elapsed(self, start: datetime, end: datetime) -> int:
        """Whole business minutes between ``start`` and ``end``."""
        return int(self.elapsed_delta(start, end).total_seconds() // 60)

    def is_working(self, moment: datetime) -> bool:
        """Whether ``moment`` falls in working time."""
        moment = moment.astimezone(UTC)
        day = moment.astimezone(self.zone).date()
        return any(
            begin <= moment < end
            for d in (day - timedelta(days=1), day)
            for begin, end in self.spans_on(d)
        )
