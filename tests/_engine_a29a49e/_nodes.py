"""The typed condition tree that ``parse_conditions`` builds and every evaluator walks."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Generic, TypeAlias, TypeVar
from zoneinfo import ZoneInfo

from tests._engine_a29a49e.fields import FieldSpec, FieldType


class Op(StrEnum):
    eq = "eq"
    ne = "ne"
    in_ = "in"
    not_in = "not_in"
    gt = "gt"
    gte = "gte"
    lt = "lt"
    lte = "lte"
    between = "between"
    contains = "contains"
    starts_with = "starts_with"
    regex = "regex"
    is_empty = "is_empty"
    is_not_empty = "is_not_empty"
    within_days = "within_days"
    older_than_days = "older_than_days"
    in_business_hours = "in_business_hours"


T = TypeVar("T", str, datetime)


@dataclass(frozen=True)
class Span(Generic[T]):
    """``start <= value < end``; a missing bound is open. The operand of date/datetime
    comparisons: ``gt`` with a date-only value starts at the next day, ``lte`` ends there."""

    start: T | None
    end: T | None


@dataclass(frozen=True)
class Age:
    """The operand of within_days / older_than_days: ``days`` before ``now``.

    Date fields count whole days in ``time_zone`` (today there minus ``days``).
    """

    days: timedelta
    time_zone: ZoneInfo


@dataclass(frozen=True)
class BusinessHours:
    """Weekdays (0 = Monday) and minutes of the day ``[start, end)`` in ``time_zone``."""

    time_zone: ZoneInfo
    weekdays: frozenset[int]
    start_minute: int
    end_minute: int


@dataclass(frozen=True)
class Leaf:
    """One field test, validated; ``value`` is as written, ``operand`` ready to compare.

    Operands by op: eq/ne on text/choice → the folded ``str`` (``fields.fold``); in/not_in →
    ``frozenset`` of folded texts (text, choice, list of text), of floats (number) or of ISO
    dates (date); eq/ne on number → ``float``, on date → ISO date ``str``; gt/gte/lt/lte on
    number → ``float``; between on number → ``(low, high)`` floats, inclusive; any comparison
    on date/datetime → ``Span``; contains/starts_with → folded ``str``; regex → the pattern;
    within_days/older_than_days → ``Age``; in_business_hours → ``BusinessHours``;
    is_empty/is_not_empty → None.
    """

    field: str
    op: Op
    value: object = dataclasses.field(hash=False)
    path: str
    operand: object = dataclasses.field(default=None, compare=False)
    spec: FieldSpec | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def type(self) -> FieldType:
        assert self.spec is not None, "a Leaf comes from parse_conditions, which sets spec"
        return self.spec.type


@dataclass(frozen=True)
class All:
    """True when every child is; ``All(())`` is the empty tree ``{}``, always true."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Any:
    """True when at least one child is (never empty)."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node: TypeAlias = All | Any | Not | Leaf
