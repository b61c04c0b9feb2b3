"""Datetime columns: int64 microseconds since the epoch, and the datetime leaves over them.

Span comparisons (gt … between) have UTC bounds, so comparing instants is what Python
does. within_days / older_than_days compare with ``now - N days``, which Python compares
by wall clock when both sides share a tzinfo; instants give the same answer unless that
zone's offset varies, and then the caller runs the compiled test per row. Business hours
take the zone's offset once per UTC hour; an hour in which it changes goes per row too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import partial
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from fenpei.engine._nodes import Age, BusinessHours, Leaf, Op, Span

Rows: TypeAlias = npt.NDArray[np.intp]
Mask: TypeAlias = npt.NDArray[np.bool_]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
HOUR_US = 3_600_000_000
MINUTE_US = 60_000_000
DAY_US = 86_400_000_000


def micros(moment: datetime) -> int:
    """Exact microseconds since the epoch (no float rounding)."""
    return (moment - EPOCH) // MICROSECOND


class Moments:
    """A datetime column as int64 microseconds since the epoch, with a missing mask."""

    def __init__(
        self,
        values: npt.NDArray[np.int64],
        missing: Mask,
        zones: Callable[[], set[tzinfo | None]],
    ) -> None:
        self.micros, self.missing = values, missing
        self._find_zones = zones
        self._zones: set[tzinfo | None] | None = None
        self._offsets: dict[tuple[tzinfo, int], int | None] = {}

    def zones(self) -> set[tzinfo | None]:
        """The tzinfo objects the column's values carry."""
        if self._zones is None:
            self._zones = self._find_zones()
        return self._zones

    def offset(self, zone: tzinfo, hour: int) -> int | None:
        """The zone's UTC offset in microseconds throughout UTC hour ``hour`` (hours since
        the epoch), or None if it changes within the hour."""
        key = (zone, hour)
        if key not in self._offsets:
            start = EPOCH + timedelta(hours=hour)
            first = start.astimezone(zone).utcoffset()
            last = (start + timedelta(hours=1) - MICROSECOND).astimezone(zone).utcoffset()
            steady = first is not None and first == last
            self._offsets[key] = first // MICROSECOND if steady and first is not None else None
        return self._offsets[key]


def moments(raw: list[object]) -> Moments | None:
    """The column, or None when a value is not a datetime (or None)."""
    if not {type(v) for v in raw} <= {datetime, type(None)}:
        return None
    missing = np.fromiter((v is None for v in raw), bool, len(raw))
    values = [0 if v is None else micros(v) for v in raw]  # type: ignore[arg-type]
    return Moments(np.array(values, dtype=np.int64), missing, partial(_zones_of, raw))


def _zones_of(raw: list[object]) -> set[tzinfo | None]:
    return {v.tzinfo for v in raw if isinstance(v, datetime)}


def moment_leaf(
    leaf: Leaf, column: Moments, rows: Rows, now: datetime, per_row: Callable[[Rows], Mask]
) -> Mask | None:
    """The leaf over ``rows`` of a datetime column, or None when only the per-row test is
    exact; ``per_row`` decides the odd rows of a business-hours test."""
    op, operand = leaf.op, leaf.operand
    missing = column.missing[rows]
    if op is Op.is_empty:
        return missing
    if op is Op.is_not_empty:
        return ~missing
    values = column.micros[rows]
    if isinstance(operand, Span):
        mask = ~missing
        if operand.start is not None:
            mask &= values >= micros(operand.start)
        if operand.end is not None:
            mask &= values < micros(operand.end)
        return mask
    if isinstance(operand, Age):
        cutoff = now - operand.days
        zone = cutoff.tzinfo
        if not isinstance(zone, timezone) and zone in column.zones():
            return None  # compared by wall clock in a zone whose offset varies
        bound = micros(cutoff)
        return ~missing & (values >= bound if op is Op.within_days else values < bound)
    if isinstance(operand, BusinessHours):
        return _business_hours(operand, column, values, missing, rows, per_row)
    return None


def _business_hours(
    hours: BusinessHours,
    column: Moments,
    values: npt.NDArray[np.int64],
    missing: Mask,
    rows: Rows,
    per_row: Callable[[Rows], Mask],
) -> Mask:
    """Local weekday and minute from the zone's offset, looked up once per UTC hour."""
    mask = np.zeros(len(rows), dtype=bool)
    present = np.flatnonzero(~missing)
    if not len(present):
        return mask
    distinct, which = np.unique(values[present] // HOUR_US, return_inverse=True)
    offsets = [column.offset(hours.time_zone, h) for h in distinct.tolist()]
    steady = np.array([o is not None for o in offsets], dtype=bool)[which]
    local = values[present] + np.array([o or 0 for o in offsets], dtype=np.int64)[which]
    minute = (local // MINUTE_US) % 1440
    weekday = (local // DAY_US + 3) % 7  # 1970-01-01 was a Thursday (3)
    inside = np.isin(weekday, np.array(sorted(hours.weekdays), dtype=np.int64))
    inside &= (minute >= hours.start_minute) & (minute < hours.end_minute)
    mask[present[steady]] = inside[steady]
    unsteady = present[~steady]
    if len(unsteady):
        mask[unsteady] = per_row(rows[unsteady])
    return mask
