"""What is due on a customer, in words and in the reader's zone: "首次联系 今天 15:30 ·
已逾期 2 小时", "跟进 明天 10:00", "将于 12-20 回收" (``mydue.*`` in mydue.po)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from fenpei.domain.due import DueItem, DueKind
from fenpei.web.i18n import Translate

When = Callable[[datetime | None, str], str]
_NEAR = {-1: "mydue.day.yesterday", 0: "mydue.day.today", 1: "mydue.day.tomorrow"}


@dataclass(frozen=True)
class DueLine:
    """One due thing as a row shows it: its words, whether it is overdue, the exact time."""

    kind: str
    text: str
    overdue: bool
    exact: str


def _day(t: Translate, when: When, at: datetime, now: datetime, zone: tzinfo) -> str:
    """ "今天 15:30" / "明天 09:00" near today, "12-20" this year, "2027-01-05" beyond."""
    local, today = at.astimezone(zone), now.astimezone(zone)
    days = (local.date() - today.date()).days
    if days in _NEAR:
        return t(_NEAR[days], time=when(at, "HH:mm"))
    return when(at, "MM-dd" if local.year == today.year else "yyyy-MM-dd")


def _late(t: Translate, at: datetime, now: datetime) -> str:
    """ "已逾期 2 小时": minutes within the hour, hours within two days, then days."""
    minutes = int((now - at).total_seconds() // 60)
    if minutes < 60:
        return t("mydue.overdue.minutes", n=max(minutes, 1))
    if minutes < 48 * 60:
        return t("mydue.overdue.hours", n=minutes // 60)
    return t("mydue.overdue.days", n=minutes // (24 * 60))


def due_lines(
    t: Translate, when: When, items: Sequence[DueItem], now: datetime, zone: tzinfo
) -> list[DueLine]:
    """The customer's due things in words, earliest (so overdue) first."""
    lines = []
    for item in items:
        overdue = item.overdue(now)
        name = "reclaim_passed" if item.kind is DueKind.reclaim and overdue else item.kind.value
        text = t(f"mydue.{name}", when=_day(t, when, item.at, now, zone))
        if overdue:
            text = f"{text} · {_late(t, item.at, now)}"
        lines.append(DueLine(item.kind.value, text, overdue, when(item.at, "yyyy-MM-dd HH:mm")))
    return lines
