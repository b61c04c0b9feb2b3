"""Values typed into HTML forms, read the same way on every page: an id, a day, a local
date and time. A value that is not one comes back as the text (or as an error naming its
field), for the page to put an error next to its field."""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo

from fenpei.domain.errors import FieldError
from fenpei.domain.limits import date_problem
from fenpei.domain.phrases import Phrase
from fenpei.http.fields import MAX_ID


def form_id(text: str) -> int | str | None:
    """A record id typed into a form: the id, None when empty, or the text back when it is
    not one (digits only, ASCII, 1 to the largest id)."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"[0-9]{1,10}", text) and 0 < int(text) <= MAX_ID:
        return int(text)
    return text


def form_day(text: str | None) -> date | str | None:
    """A ``YYYY-MM-DD`` day typed into a form: the day within the range every date keeps
    (``domain.limits``), None when empty, or the text back when it is not one."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text
    return text if date_problem(day) else day


_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")


def form_local_time(
    field: str, text: str, zone: tzinfo, errors: list[FieldError]
) -> datetime | None:
    """A datetime-local value, read in ``zone``; blank is None, anything else an error."""
    text = text.strip()
    for pattern in _LOCAL_FORMATS if text else ():
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=zone)
        except ValueError:
            continue
    if text:
        errors.append(FieldError(field, Phrase("follow_up.when", "is not a date and time")))
    return None
