"""``FixedClock``: a ``ports.Clock`` that tests move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FixedClock:
    """``ports.Clock`` that tests move by hand."""

    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 11, 2, 9, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        """Move forward by ``delta`` or by keyword units (``hours=24``); returns the new now."""
        self.at += (delta or timedelta()) + timedelta(**units)
        return self.at
