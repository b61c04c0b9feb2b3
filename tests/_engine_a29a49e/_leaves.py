"""One closure per leaf, over its getter and precomputed operand: folded text, frozensets,
a compiled RE2 regex, UTC bounds. The hot path allocates as little as it can."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar, cast

from fenpei.domain.customers import Customer
from tests._engine_a29a49e._nodes import Age, BusinessHours, Leaf, Op, Span
from tests._engine_a29a49e._regex import compile_search
from tests._engine_a29a49e.fields import FieldType

Test = Callable[[Customer, datetime], bool]
X = TypeVar("X")


def leaf_test(leaf: Leaf) -> Test:
    """The closure testing one leaf against a customer at ``now``."""
    assert leaf.spec is not None
    op, kind, operand, get = leaf.op, leaf.type, leaf.operand, leaf.spec.get
    if op in (Op.is_empty, Op.is_not_empty):
        is_empty = _is_empty(kind, get)
        return is_empty if op is Op.is_empty else (lambda c, now: not is_empty(c, now))
    if kind is FieldType.list_of_text:
        return _tags(op, operand, cast(Callable[[Customer], list[str]], get))
    if kind in (FieldType.text, FieldType.choice):
        return _text(op, operand, cast(Callable[[Customer], "str | None"], get))
    if isinstance(operand, Span):
        return _span(operand, get)
    if isinstance(operand, Age):
        return _age(op, operand, kind, get)
    if isinstance(operand, BusinessHours):
        return _business_hours(operand, cast(Callable[[Customer], "datetime | None"], get))
    return _compare(op, operand, cast(Callable[[Customer], "float | str | None"], get))


def _is_empty(kind: FieldType, get: Callable[[Customer], object]) -> Test:
    if kind in (FieldType.text, FieldType.choice):
        text = cast(Callable[[Customer], "str | None"], get)
        return lambda c, now: (v := text(c)) is None or not v.strip()
    if kind is FieldType.list_of_text:
        return lambda c, now: not get(c)
    return lambda c, now: get(c) is None


def _text(op: Op, operand: object, get: Callable[[Customer], str | None]) -> Test:
    if op is Op.regex:
        assert isinstance(operand, str)
        search = compile_search(operand)
        return lambda c, now: (v := get(c)) is not None and v.strip() != "" and search(v)
    if isinstance(operand, frozenset):
        values = cast(frozenset[str], operand)
        if op is Op.in_:
            return lambda c, now: (v := get(c)) is not None and v.strip().casefold() in values
        return lambda c, now: (v := get(c)) is None or v.strip().casefold() not in values
    assert isinstance(operand, str)
    if op is Op.eq:
        return lambda c, now: (v := get(c)) is not None and v.strip().casefold() == operand
    if op is Op.ne:
        return lambda c, now: (v := get(c)) is None or v.strip().casefold() != operand
    if op is Op.contains:
        return lambda c, now: (v := get(c)) is not None and operand in v.casefold()
    return lambda c, now: (v := get(c)) is not None and v.strip().casefold().startswith(operand)


def _tags(op: Op, operand: object, get: Callable[[Customer], list[str]]) -> Test:
    wanted = cast(frozenset[str], operand) if op is not Op.contains else frozenset((operand,))

    def has_any(c: Customer, now: datetime) -> bool:
        for tag in get(c):  # noqa: SIM110  (no generator object per call)
            if tag.strip().casefold() in wanted:
                return True
        return False

    return (lambda c, now: not has_any(c, now)) if op is Op.not_in else has_any


def _compare(op: Op, operand: object, get: Callable[[Customer], float | str | None]) -> Test:
    """Numbers (and ISO dates for eq / ne / in / not_in)."""
    if op in (Op.in_, Op.not_in):
        values = cast(frozenset[object], operand)
        if op is Op.in_:
            return lambda c, now: (v := get(c)) is not None and v in values
        return lambda c, now: (v := get(c)) is None or v not in values
    if op is Op.between:
        low, high = cast(tuple[float, float], operand)
        return lambda c, now: (v := get(c)) is not None and low <= v <= high  # type: ignore[operator]
    if op is Op.eq:
        return lambda c, now: (v := get(c)) is not None and v == operand
    if op is Op.ne:
        return lambda c, now: (v := get(c)) is None or v != operand
    number = cast(Callable[[Customer], "float | None"], get)
    bound = cast(float, operand)
    if op is Op.gt:
        return lambda c, now: (v := number(c)) is not None and v > bound
    if op is Op.gte:
        return lambda c, now: (v := number(c)) is not None and v >= bound
    if op is Op.lt:
        return lambda c, now: (v := number(c)) is not None and v < bound
    return lambda c, now: (v := number(c)) is not None and v <= bound


def _span(span: Span[str] | Span[datetime], get: Callable[[Customer], object]) -> Test:
    # Both sides are ISO date strings or both are aware datetimes; the getter promises it.
    value = cast(Callable[[Customer], "str | None"], get)
    start, end = cast(Span[str], span).start, cast(Span[str], span).end
    if start is not None and end is not None:
        return lambda c, now: (v := value(c)) is not None and start <= v < end
    if start is not None:
        return lambda c, now: (v := value(c)) is not None and v >= start
    assert end is not None
    return lambda c, now: (v := value(c)) is not None and v < end


def _per_now(compute: Callable[[datetime], X]) -> Callable[[datetime], X]:
    """``compute(now)``, remembered while the same ``now`` is passed again: routing tests
    every rule of one customer with one ``now``. One tuple swap, so threads cannot tear it."""
    last: tuple[datetime, X] | None = None

    def value(now: datetime) -> X:
        nonlocal last
        seen = last
        if seen is not None and seen[0] is now:
            return seen[1]
        result = compute(now)
        last = (now, result)
        return result

    return value


def _age(op: Op, age: Age, kind: FieldType, get: Callable[[Customer], object]) -> Test:
    within = op is Op.within_days
    if kind is FieldType.date:  # whole days before today, in the rule's time zone
        day = cast(Callable[[Customer], "str | None"], get)
        days = age.days
        cutoff = _per_now(lambda now: (now.astimezone(age.time_zone).date() - days).isoformat())
        if within:
            return lambda c, now: (v := day(c)) is not None and v >= cutoff(now)
        return lambda c, now: (v := day(c)) is not None and v < cutoff(now)
    moment = cast(Callable[[Customer], "datetime | None"], get)
    delta: timedelta = age.days
    if within:
        return lambda c, now: (v := moment(c)) is not None and v >= now - delta
    return lambda c, now: (v := moment(c)) is not None and v < now - delta


def _business_hours(hours: BusinessHours, get: Callable[[Customer], datetime | None]) -> Test:
    zone, weekdays = hours.time_zone, hours.weekdays
    start, end = hours.start_minute, hours.end_minute

    def in_hours(c: Customer, now: datetime) -> bool:
        moment = get(c)
        if moment is None:
            return False
        local = moment.astimezone(zone)
        return local.weekday() in weekdays and start <= local.hour * 60 + local.minute < end

    return in_hours
