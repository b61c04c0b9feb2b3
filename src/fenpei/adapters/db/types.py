"""Column types that behave the same on SQLite and PostgreSQL, and the guard every column
gets: what one database would refuse with an error (or store and then fail to show) is
refused on both, before the statement runs, as a ``ValidationFailed`` naming the column.

Every write passes here, whichever door it came through (API, pages, CLI, import, a job),
so a column added later is guarded without anyone remembering (``guard_columns``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.limits import clean_value, date_problem, find_bad_value, text_problem

# JSON text elsewhere; JSONB on PostgreSQL (indexable).
_JSON_IMPL = sa.JSON()
INT32 = (-(2**31), 2**31 - 1)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Stores UTC, always returns an aware UTC datetime (SQLite would drop the zone); refuses
    a date outside ``domain.limits`` (every page must be able to show it)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    # ``timezone`` is accepted for the migrations written against the older signature.
    def __init__(self, field: str = "value", *, timezone: bool = True) -> None:
        super().__init__()
        self.field = field

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: fenpei stores aware datetimes only")
        if problem := date_problem(value):
            raise ValidationFailed.one(self.field, problem)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Json(sa.TypeDecorator[Any]):
    """JSON (JSONB on PostgreSQL) whose strings hold no NUL or lone surrogate; a value
    stored before that check is read back with U+FFFD in their place, never an error."""

    impl = sa.JSON
    cache_ok = True

    def __init__(self, field: str = "value") -> None:
        super().__init__()
        self.field = field

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.JSONB())
        return dialect.type_descriptor(_JSON_IMPL)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is not None and (bad := find_bad_value(value, self.field, shape=False)):
            raise ValidationFailed([bad])
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return clean_value(value)


class CheckedString(sa.TypeDecorator[str]):
    """VARCHAR / TEXT refusing NUL (PostgreSQL would fail) and lone surrogates (not UTF-8)."""

    impl = sa.String
    cache_ok = True

    def __init__(self, length: int | None = None, field: str = "value") -> None:
        super().__init__(length)
        self.field = field

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if isinstance(value, str) and (problem := text_problem(value)):
            raise ValidationFailed.one(self.field, problem)
        return value


class CheckedInteger(sa.TypeDecorator[int]):
    """INTEGER refusing what a 32-bit column cannot hold (PostgreSQL: an error; SQLite: a
    number no other reader agrees on)."""

    impl = sa.Integer
    cache_ok = True

    def __init__(self, field: str = "value") -> None:
        super().__init__()
        self.field = field

    def process_bind_param(self, value: int | None, dialect: Dialect) -> int | None:
        if isinstance(value, int) and not INT32[0] <= value <= INT32[1]:
            raise ValidationFailed.one(self.field, f"must be between {INT32[0]} and {INT32[1]}")
        return value


class CheckedNumeric(sa.TypeDecorator[Decimal]):
    """NUMERIC(p, s) refusing what does not fit, and NaN / infinity."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int, field: str = "value") -> None:
        super().__init__(precision, scale)
        self.field = field
        self.limit = Decimal(10) ** (precision - scale)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is not None and not (
            Decimal(value).is_finite() and abs(Decimal(value)) < self.limit
        ):
            raise ValidationFailed.one(self.field, f"must be a number below {self.limit:,}")
        return value


class CheckedFloat(sa.TypeDecorator[float]):
    """FLOAT refusing NaN and infinity (JSON cannot carry them back out)."""

    impl = sa.Float
    cache_ok = True

    def __init__(self, field: str = "value") -> None:
        super().__init__()
        self.field = field

    def process_bind_param(self, value: float | None, dialect: Dialect) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValidationFailed.one(self.field, "must be a finite number")
        return value


def _guarded(column: sa.Column[Any]) -> sa.types.TypeEngine[Any] | None:
    """The guarded type for ``column``, or None when it needs none (or has one)."""
    kind, name = column.type, column.name
    if isinstance(kind, sa.TypeDecorator):
        if isinstance(kind, UtcDateTime | Json):
            return type(kind)(field=name)
        return None
    if isinstance(kind, sa.Enum | sa.Boolean):
        return None  # a closed set of values, checked by the enum itself
    if isinstance(kind, sa.String):
        return CheckedString(kind.length, field=name)
    if isinstance(kind, sa.Integer):
        return CheckedInteger(field=name)
    if isinstance(kind, sa.Float):
        return CheckedFloat(field=name)
    if isinstance(kind, sa.Numeric) and kind.precision is not None:
        return CheckedNumeric(kind.precision, kind.scale or 0, field=name)
    return None


def guard_columns(metadata: sa.MetaData) -> None:
    """Give every column of ``metadata`` its guarded type, named after the column; called
    once, after the tables are defined and before anything is mapped or compiled."""
    for table in metadata.tables.values():
        for column in table.columns:
            guarded = _guarded(column)
            if guarded is not None:
                column.type = guarded


def str_enum(enum: type[StrEnum], length: int = 20) -> sa.Enum:
    """A portable VARCHAR enum that loads back as the Python enum member."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )
