"""What is due on a customer, in words and in the reader's zone: "首次联系 今天 15:30 ·
已逾期 2 小时", "跟进 明天 10:00", "将于 12-20 回收" (``mydue.*`` in mydue.po)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from fastapi import Request

from fenpei.domain.customers import Customer
from fenpei.domain.due import DueItem, DueKind
from fenpei.domain.reclaim import GoverningTerms
from fenpei.domain.sla import SlaClock
from fenpei.domain.users import User
from fenpei.services import due
from fenpei.services.ports import UnitOfWork
from fenpei.web._task_view import page_words
from fenpei.web.i18n import Translate, translator
from fenpei.web.rendering import page_language

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


def due_context(
    request: Request,
    uow: UnitOfWork,
    user: User,
    customers: Sequence[Customer],
    clocks: Mapping[int, SlaClock],
    terms: Sequence[GoverningTerms],
    now: datetime,
) -> dict[str, Any]:
    """``due_lines`` (customer id → its due things in words) and ``when`` in the viewer's
    zone (the rep's), for a list of the customers with their newest running ``clocks`` and
    the pools' reclaim ``terms`` (``services.due.due_terms``, as the list was sorted by)."""
    words = page_words(request, uow, user)
    t = translator(page_language(request))
    dues = due.dues_of(uow=uow, customers=customers, terms=terms, clocks=clocks)
    lines = {
        customer_id: due_lines(t, words["when"], items, now, words["zone"])
        for customer_id, items in dues.items()
    }
    return {**words, "due_lines": lines}
