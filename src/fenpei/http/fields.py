"""Field types every HTTP door validates with (query parameters, JSON bodies, form fields):
ids, offsets, dates in range, filter text. Checked here once, not in each handler."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from fenpei.domain.limits import EARLIEST_DATE, LATEST_DATE, date_problem

# Ids are 32-bit integers in the database: a larger number can name nothing.
MAX_ID = 2**31 - 1
MAX_OFFSET = 2**31 - 1


def _empty_as_none(value: object) -> object:
    """An HTML form sends ``stage=`` for "any"; treat an empty parameter as absent."""
    return None if isinstance(value, str) and not value.strip() else value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value.strip()


def _in_range(value: date) -> date:
    if problem := date_problem(value):
        raise ValueError(problem)
    return value


EmptyIsNone = BeforeValidator(_empty_as_none)
DATE_RANGE = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"
# Every date or date-time a user gives is one every page, report and export can show.
InDateRange = AfterValidator(_in_range)
BoundedDate = Annotated[date, InDateRange, Field(description=f"A date {DATE_RANGE}.")]
BoundedDateTime = Annotated[datetime, InDateRange, Field(description=f"A date-time {DATE_RANGE}.")]
FilterText = Annotated[str, Field(max_length=200), AfterValidator(_no_nul)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
