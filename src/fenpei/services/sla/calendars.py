"""Holiday calendars: China's official days (package) overridden by the admin's list per
year, and the work calendar a rep's SLA clock counts in."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fenpei.domain.business_time import DayKind, WorkCalendar
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.org import Rep
from fenpei.domain.phrases import Phrase, too_long, whole_number
from fenpei.domain.sla import CALENDAR_CN, CalendarDay
from fenpei.domain.users import Actor
from fenpei.services import scope
from fenpei.services.ports import UnitOfWork
from fenpei.services.sla._official import covers, official_days

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_ROWS = 400
MAX_NAME = 100


@dataclass(frozen=True)
class YearDay:
    """One day of a year's calendar as a page shows it: where it comes from and whether
    the admin's entry overrides the package's."""

    day: date
    kind: DayKind
    name: str
    source: str  # "official" (the package) | "imported" (the admin's list)
    overrides: bool = False


def _year_error(year: int) -> FieldError | None:
    if MIN_YEAR <= year <= MAX_YEAR:
        return None
    return FieldError("year", whole_number(MIN_YEAR, MAX_YEAR))


def _check_year(year: int) -> None:
    if error := _year_error(year):
        raise ValidationFailed([error])


def _parse(text: str, year: int, calendar: str) -> list[CalendarDay]:
    """``date,kind,name`` rows (a header row is optional); every bad row is named, and a
    bad year with them (a row's year is checked only against a valid one)."""
    year_error = _year_error(year)
    errors: list[FieldError] = [year_error] if year_error else []
    days: dict[date, CalendarDay] = {}
    rows = list(csv.reader(io.StringIO(text)))
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["date", "kind"]:
        rows = rows[1:]
    if len(rows) > MAX_ROWS:
        raise ValidationFailed.one(
            "file",
            Phrase(
                "sla.too_many_rows",
                "has {rows} rows; at most {limit}",
                rows=len(rows),
                limit=MAX_ROWS,
            ),
        )
    for number, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue
        where = f"row {number}"
        cells = [cell.strip() for cell in row] + ["", ""]
        try:
            day = date.fromisoformat(cells[0])
        except ValueError:
            errors.append(
                FieldError(
                    where,
                    Phrase(
                        "sla.bad_date",
                        "{value} is not a date like 2027-10-01",
                        value=repr(cells[0]),
                    ),
                )
            )
            continue
        if day.year != year and year_error is None:
            errors.append(
                FieldError(
                    where,
                    Phrase(
                        "sla.other_year", "{day} is not in {year}", day=day.isoformat(), year=year
                    ),
                )
            )
        if cells[1] not in {k.value for k in DayKind}:
            errors.append(
                FieldError(
                    where,
                    Phrase(
                        "sla.bad_kind",
                        "kind must be {holiday} or {workday}",
                        holiday="holiday",
                        workday="workday",
                    ),
                )
            )
            continue
        if len(cells[2]) > MAX_NAME:
            errors.append(FieldError(where, too_long(MAX_NAME)))
        if day in days:
            errors.append(
                FieldError(where, Phrase("sla.twice", "{day} is listed twice", day=day.isoformat()))
            )
        days[day] = CalendarDay(
            day=day, kind=DayKind(cells[1]), name=cells[2][:MAX_NAME], calendar=calendar
        )
    if not days and len(errors) == len([year_error] if year_error else []):
        errors.append(FieldError("file", Phrase("sla.no_rows", "has no rows")))
    if errors:
        raise ValidationFailed(errors)
    return list(days.values())


def import_year(
    *, uow: UnitOfWork, actor: Actor, year: int, text: str, calendar: str = CALENDAR_CN
) -> int:
    """Replace the admin's entries of ``year`` with the CSV ``date,kind,name`` rows; all
    or nothing (any bad row: nothing changes). How many days were imported."""
    scope.require_admin(actor, "import holidays")
    days = _parse(text, year, calendar)
    uow.sla.delete_year(calendar, year)
    uow.sla.add_days(days)
    return len(days)


def delete_year(*, uow: UnitOfWork, actor: Actor, year: int, calendar: str = CALENDAR_CN) -> int:
    """Remove the admin's entries of ``year`` (the package's days apply again)."""
    scope.require_admin(actor, "delete holidays")
    _check_year(year)
    return uow.sla.delete_year(calendar, year)


def year_days(*, uow: UnitOfWork, year: int, calendar: str = CALENDAR_CN) -> list[YearDay]:
    """``year``'s holidays and make-up workdays from both sources, by day; an admin's
    entry overrides the package's for its day."""
    _check_year(year)
    official = official_days(year) if calendar == CALENDAR_CN else {}
    mine = {d.day: d for d in uow.sla.calendar_days(calendar, [year])}
    shown = [
        YearDay(day, kind, name, "official")
        for day, (kind, name) in official.items()
        if day not in mine
    ]
    shown += [
        YearDay(d.day, d.kind, d.name, "imported", overrides=d.day in official)
        for d in mine.values()
    ]
    return sorted(shown, key=lambda d: d.day)


def package_covers(year: int) -> bool:
    """Whether the holiday package knows ``year`` (else only imported entries apply)."""
    return covers(year)


def days_off(
    uow: UnitOfWork, calendar: str, years: Iterable[int]
) -> tuple[frozenset[date], frozenset[date]]:
    """Holidays and make-up workdays of ``calendar`` in ``years`` (none for "none")."""
    holidays: set[date] = set()
    workdays: set[date] = set()
    if calendar != CALENDAR_CN:
        return frozenset(), frozenset()
    years = sorted(set(years))
    merged: dict[date, DayKind] = {}
    for year in years:
        merged.update({day: kind for day, (kind, _) in official_days(year).items()})
    merged.update({d.day: d.kind for d in uow.sla.calendar_days(calendar, years)})
    for day, kind in merged.items():
        (holidays if kind is DayKind.holiday else workdays).add(day)
    return frozenset(holidays), frozenset(workdays)


def zone_of(name: str) -> ZoneInfo:
    """The zone named (the org service validates reps' zones; an old unknown one counts
    as Asia/Shanghai, the default)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def work_calendar(uow: UnitOfWork, rep: Rep, calendar: str, around: datetime) -> WorkCalendar:
    """The rep's calendar for clocks near ``around``: their hours and zone, and the
    holidays of that year and the next two (a long target crossing New Year)."""
    years = range(around.year - 1, around.year + 3)
    holidays, workdays = days_off(uow, calendar, years)
    return WorkCalendar(rep.working_hours, zone_of(rep.time_zone), holidays, workdays)
