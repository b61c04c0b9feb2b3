"""日历: the tasks in scope on a month grid by their due date, in the viewer's time zone,
with the previous and next month a link away; below the grid the same tasks as a list by
day (what a small screen shows instead of the grid)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from fenpei.domain.tasks import TaskFilter
from fenpei.http.deps import CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.fields import EmptyIsNone, Id
from fenpei.services.tasks._access import task_scope
from fenpei.web._task_view import TaskRow, choices, page_words, scoped, task_rows
from fenpei.web.rendering import render

router = APIRouter(include_in_schema=False)
MAX_PER_MONTH = 1000  # tasks drawn on one month's grid
OptionalId = Annotated[Id | None, EmptyIsNone, Query()]
Month = Annotated[str | None, EmptyIsNone, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


def month_bounds(first: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The instants the month starts and ends at in ``zone``."""
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (datetime.combine(first, time(), tzinfo=zone),
            datetime.combine(following, time(), tzinfo=zone))  # fmt: skip


def shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def weeks(first: date) -> list[list[date]]:
    """The month's weeks, Monday first, with the neighbouring months' days filling them."""
    return calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)


@router.get("/tasks/calendar")
def calendar_page(
    request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep,
    month: Month = None, rep: OptionalId = None, team: OptionalId = None,
) -> Response:  # fmt: skip
    """日历: one month of tasks by due date (``?month=2026-12``), this month by default."""
    now = fenpei.now()
    words = page_words(request, uow, user)
    zone = words["zone"]
    if month is None:
        first = now.astimezone(zone).date().replace(day=1)
    else:
        first = date(int(month[:4]), int(month[5:]), 1)
    first = max(date(1971, 1, 1), min(first, date(9998, 12, 1)))
    starts, ends = month_bounds(first, zone)
    f = TaskFilter(
        assignee_ids=None if rep is None else {rep}, team_ids=None if team is None else {team},
        due_from=starts, due_before=ends,
    )  # fmt: skip
    found = uow.tasks.find(scoped(task_scope(uow, actor_of(user)), f), limit=MAX_PER_MONTH)
    by_day: dict[date, list[TaskRow]] = {}
    for row in task_rows(uow, found, now):
        assert row.task.due_at is not None
        by_day.setdefault(row.task.due_at.astimezone(zone).date(), []).append(row)
    context = {
        "user": user, "active": "tasks", "tab": "calendar", "first": first,
        "weeks": weeks(first), "by_day": by_day, "today": now.astimezone(zone).date(),
        "previous": shift(first, -1).strftime("%Y-%m"), "next": shift(first, 1).strftime("%Y-%m"),
        "params": {"rep": rep or "", "team": team or ""}, "weekdays": range(7),
        **choices(uow, actor_of(user)), **words,
    }  # fmt: skip
    return render(request, "tasks/calendar.html", context)
