"""Which ops apply to which field types, and how a leaf's JSON value becomes an operand."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from difflib import get_close_matches
from zoneinfo import ZoneInfo

from fenpei.domain.customers import YEARS
from fenpei.domain.errors import FieldError
from fenpei.domain.phrases import Phrase
from tests._engine_a29a49e._nodes import Age, BusinessHours, Leaf, Op, Span, T
from tests._engine_a29a49e._regex import regex_problem
from tests._engine_a29a49e.fields import FieldSpec, FieldType, fold

_SETS = (Op.eq, Op.ne, Op.in_, Op.not_in)
_ORDER = (Op.gt, Op.gte, Op.lt, Op.lte, Op.between)
_EMPTY = (Op.is_empty, Op.is_not_empty)
_AGE = (Op.within_days, Op.older_than_days)
OPS_BY_TYPE: Mapping[FieldType, tuple[Op, ...]] = {
    FieldType.text: (*_SETS, Op.contains, Op.starts_with, Op.regex, *_EMPTY),
    FieldType.choice: (*_SETS, *_EMPTY),
    FieldType.number: (*_SETS, *_ORDER, *_EMPTY),
    FieldType.date: (*_SETS, *_ORDER, *_AGE, *_EMPTY),
    FieldType.datetime: (*_ORDER, *_AGE, Op.in_business_hours, *_EMPTY),
    FieldType.list_of_text: (Op.contains, Op.in_, Op.not_in, *_EMPTY),
}
LEAF_KEYS = ("field", "op", "value")
MAX_LIST = 1000
MAX_DAYS = 36500
DEFAULT_HOURS = ("09:00", "18:00")
DEFAULT_WEEKDAYS = (0, 1, 2, 3, 4)
_OP_NAMES = frozenset(o.value for o in Op)
MISSING = object()  # a leaf without a "value" key

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?"
)
_HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d|24:00")
_MICROSECOND = timedelta(microseconds=1)


def shown(value: object) -> str:
    """``value`` as an error message quotes it: never longer than 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def suggestion(word: str, choices: list[str]) -> str:
    close = get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_NEEDS = {
    "a date (YYYY-MM-DD)": "date", "a finite number": "finite_number",
    "a non-empty list": "list", "a number": "number", "a pattern (text)": "pattern",
    "an object with time_zone, weekdays and hours": "hours", "non-empty text": "text",
}  # fmt: skip


class _Bad(Exception):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


class _Reader:
    """Reads one leaf's value for its op and field, raising ``_Bad`` at the first problem."""

    def __init__(self, op: Op, spec: FieldSpec, zone: ZoneInfo) -> None:
        self.op, self.spec, self.zone = op, spec, zone

    def bad(self, what: str, value: object, where: str = ".value") -> _Bad:
        message = Phrase(
            "condition.value",
            "'{op}' on {kind} field '{field}' needs {what}, got {got}",
            op=self.op,
            kind=self.spec.type.label,
            field=self.spec.name,
            what=Phrase(f"need.{_NEEDS.get(what, 'other')}", what),
            got=shown(value),
        )
        return _Bad(where, message)

    def scalar(self, value: object, where: str = ".value") -> object:
        kind = self.spec.type
        if kind is FieldType.number:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.bad("a number", value, where)
            try:
                number = float(value)
            except OverflowError:
                raise self.bad("a finite number", value, where) from None
            if not math.isfinite(number):
                raise self.bad("a finite number", value, where)
            return number
        if kind is FieldType.date:
            return self.day(value, where).isoformat()
        if not isinstance(value, str) or not value.strip():
            raise self.bad("non-empty text", value, where)
        if kind is FieldType.choice and fold(value) not in {fold(c) for c in self.spec.choices}:
            raise self.bad(f"one of {', '.join(self.spec.choices)}", value, where)
        return fold(value)

    def day(self, value: object, where: str) -> date:
        if (day := _day(value)) is None:
            raise self.bad("a date (YYYY-MM-DD)", value, where)
        return day

    def day_period(self, value: object, where: str) -> tuple[str, str]:
        """The ``[first, after)`` a date value covers, as ISO dates."""
        day = self.day(value, where)
        return day.isoformat(), (day + timedelta(days=1)).isoformat()

    def moment_period(self, value: object, where: str) -> tuple[datetime, datetime]:
        """The ``[first, after)`` a datetime value covers: midnight to midnight in the zone
        for a date-only value, one instant (up to the next microsecond) otherwise."""
        if (day := _day(value)) is not None:
            start = datetime(day.year, day.month, day.day, tzinfo=self.zone)
            return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
        if isinstance(value, str) and _ISO_DATE_TIME.fullmatch(value):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                if moment.year in YEARS:
                    moment = moment if moment.tzinfo else moment.replace(tzinfo=self.zone)
                    instant = moment.astimezone(UTC)
                    return instant, instant + _MICROSECOND
        what = "an ISO date or date-time (2024-05-01, 2024-05-01T09:00+08:00)"
        raise self.bad(what, value, where)

    def items(self, value: object) -> frozenset[object]:
        if not isinstance(value, list | tuple) or not value:
            raise self.bad("a non-empty list", value)
        if len(value) > MAX_LIST:
            raise _Bad(".value", f"'{self.op}' takes at most {MAX_LIST} values, got {len(value)}")
        return frozenset(self.scalar(item, f".value[{i}]") for i, item in enumerate(value))

    def comparison(self, value: object) -> object:
        if self.op is Op.between and (not isinstance(value, list | tuple) or len(value) != 2):
            raise _Bad(".op", f"'between' needs [low, high], got {shown(value)}")
        if self.spec.type is FieldType.date:
            return self.span(self.day_period, value)
        if self.spec.type is FieldType.datetime:
            return self.span(self.moment_period, value)
        if self.op is not Op.between:
            return self.scalar(value)
        assert isinstance(value, list | tuple)
        low, high = self.scalar(value[0], ".value[0]"), self.scalar(value[1], ".value[1]")
        assert isinstance(low, float) and isinstance(high, float)
        if low > high:
            raise _Bad(".value", f"'between' needs low <= high, got {shown(value)}")
        return (low, high)

    def span(self, period: Callable[[object, str], tuple[T, T]], value: object) -> Span[T]:
        """A date/datetime comparison as the half-open span of values it accepts."""
        if self.op is Op.between:
            assert isinstance(value, list | tuple)
            first, _ = period(value[0], ".value[0]")
            last_first, after = period(value[1], ".value[1]")
            if first > last_first:
                raise _Bad(".value", f"'between' needs low <= high, got {shown(value)}")
            return Span(first, after)
        first, after = period(value, ".value")
        if self.op is Op.gt:
            return Span(after, None)
        if self.op is Op.gte:
            return Span(first, None)
        if self.op is Op.lt:
            return Span(None, first)
        return Span(None, after)  # lte

    def age(self, value: object) -> Age:
        whole = self.spec.type is FieldType.date
        what = "a positive whole number of days" if whole else "a positive number of days"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.bad(what, value)
        if not 0 < value <= MAX_DAYS or (whole and value != int(value)):
            raise self.bad(f"{what} (at most {MAX_DAYS})" if value > 0 else what, value)
        return Age(timedelta(days=value), self.zone)

    def business_hours(self, value: object) -> BusinessHours:
        if value is MISSING or value is None:
            value = {}
        if not isinstance(value, dict):
            raise self.bad("an object with time_zone, weekdays and hours", value)
        for key in value:
            if key not in ("time_zone", "weekdays", "hours"):
                raise _Bad(f".value.{key}", "unknown key (expected time_zone, weekdays, hours)")
        zone = self.zone
        if "time_zone" in value:
            zone = time_zone(value["time_zone"], ".value.time_zone")
        weekdays = value.get("weekdays", DEFAULT_WEEKDAYS)
        if (
            not isinstance(weekdays, list | tuple)
            or not weekdays
            or not all(type(d) is int and 0 <= d <= 6 for d in weekdays)
        ):
            message = f"needs weekdays from 0 (Monday) to 6 (Sunday), got {shown(weekdays)}"
            raise _Bad(".value.weekdays", message)
        hours = value.get("hours", DEFAULT_HOURS)
        if (
            not isinstance(hours, list | tuple)
            or len(hours) != 2
            or not all(isinstance(h, str) and _HH_MM.fullmatch(h) for h in hours)
            or _minute(hours[0]) >= _minute(hours[1])
        ):
            message = f"needs ['HH:MM', 'HH:MM'] with start before end, got {shown(hours)}"
            raise _Bad(".value.hours", message)
        start, end = _minute(hours[0]), _minute(hours[1])
        return BusinessHours(zone, frozenset(weekdays), start, end)

    def operand(self, value: object) -> object:
        op = self.op
        if op in _EMPTY:
            if value is not MISSING and value is not None:
                raise _Bad(".value", f"'{op}' takes no value, got {shown(value)}")
            return None
        if op is Op.in_business_hours:
            return self.business_hours(value)
        if value is MISSING:
            raise _Bad(".value", f"'{op}' needs a value")
        if op in (Op.in_, Op.not_in):
            return self.items(value)
        if op in _ORDER:
            return self.comparison(value)
        if op in _AGE:
            return self.age(value)
        if op is Op.regex:
            if not isinstance(value, str) or not value:
                raise self.bad("a pattern (text)", value)
            if problem := regex_problem(value):
                raise _Bad(".value", f"'regex' pattern {problem}")
            return value
        return self.scalar(value)  # eq, ne, contains (a tag, for a list), starts_with


def _day(value: object) -> date | None:
    """A ``YYYY-MM-DD`` date within the years fenpei stores, or None."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None
        return day if day.year in YEARS else None
    return None


def _minute(hh_mm: object) -> int:
    assert isinstance(hh_mm, str)
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


def time_zone(name: object, where: str) -> ZoneInfo:
    if isinstance(name, str) and name.strip():
        try:
            return ZoneInfo(name)
        except (KeyError, ValueError, OSError):
            pass
    raise _Bad(where, f"unknown time zone {shown(name)} (an IANA name such as 'Asia/Shanghai')")


def parse_leaf(
    raw: Mapping[object, object], path: str, catalog: Mapping[str, FieldSpec], zone: ZoneInfo
) -> tuple[Leaf | None, list[FieldError]]:
    """Validate a ``{field, op, value}`` node; return the leaf or every problem with it."""
    errors: list[FieldError] = []
    spec: FieldSpec | None = None
    name = raw.get("field")
    if not isinstance(name, str):
        errors.append(
            FieldError(
                f"{path}.field",
                Phrase("condition.no_field", "needs a field name, got {got}", got=shown(name)),
            )
        )
    elif (spec := catalog.get(name)) is None:
        hint = suggestion(name, list(catalog))
        errors.append(
            FieldError(
                f"{path}.field",
                Phrase(
                    "condition.unknown_field",
                    "unknown field {name}{hint}",
                    name=shown(name),
                    hint=hint,
                ),
            )
        )
    op_name = raw.get("op", MISSING)
    allowed = [str(o) for o in (OPS_BY_TYPE[spec.type] if spec else Op)]
    op = Op(op_name) if isinstance(op_name, str) and op_name in _OP_NAMES else None
    if op_name is MISSING:
        errors.append(
            FieldError(
                f"{path}.op",
                Phrase("condition.no_op", "is required (one of {ops})", ops=", ".join(allowed)),
            )
        )
    elif op is None:
        hint = suggestion(op_name, allowed) if isinstance(op_name, str) else ""
        hint = hint or f" (one of {', '.join(allowed)})"
        errors.append(FieldError(f"{path}.op", f"unknown op {shown(op_name)}{hint}"))
    elif spec is not None and op not in OPS_BY_TYPE[spec.type]:
        message = Phrase(
            "condition.op_misfit",
            "'{op}' does not apply to {kind} field '{field}' (use one of {ops})",
            op=op,
            kind=spec.type.label,
            field=spec.name,
            ops=", ".join(allowed),
        )
        errors.append(FieldError(f"{path}.op", message))
    if errors or spec is None or op is None:
        return None, errors
    value = raw.get("value", MISSING)
    try:
        operand = _Reader(op, spec, zone).operand(value)
    except _Bad as bad:
        return None, [FieldError(path + bad.where, bad.message)]
    written = None if value is MISSING else _frozen(value)
    return Leaf(spec.name, op, written, path, operand, spec), []


def _frozen(value: object) -> object:
    """Lists as tuples, so a leaf's value cannot change under it."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    return value
