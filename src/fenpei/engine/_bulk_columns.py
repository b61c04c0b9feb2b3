"""Field columns as NumPy arrays, and condition leaves evaluated over many rows at once.

A ``Source`` gives each field a rule tests once, for every row, in the shape the field's
getter returns (``fields``): ``CustomerColumns`` reads it off ``Customer`` objects,
``_bulk_frame.TableColumns`` off an Arrow table's columns. What a leaf answers is kept
identical to the compiled predicate (``_compile``) by one of three means:

- numbers become a float array (NaN for None) and datetimes int64 microseconds since the
  epoch (``_bulk_moments``); comparisons on them are exact (ints below 2**53, microsecond
  datetimes), so NumPy gives the answers the compiled closures give;
- every other field (text, choice, date, tags) is dictionary-encoded: each distinct value
  gets a code, and a leaf is decided once per distinct value by running its *compiled*
  test on that value (``value_test``: the same closure with the getter's work done).
  ``province = 'East'`` over a million customers is one predicate call per province and
  one gather; case folding, blanks and None behave exactly as in ``_compile`` because it
  is ``_compile`` deciding them;
- whatever cannot be shown exact (a number too large for a float, a datetime compared
  with ``now`` in the same non-fixed zone, an hour holding a zone transition) runs the
  compiled test per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeAlias, cast

import numpy as np
import numpy.typing as npt

from fenpei.domain.customers import Customer
from fenpei.engine._bulk_moments import Mask, Moments, Rows, moment_leaf, moments
from fenpei.engine._compile import compile_conditions
from fenpei.engine._describe import normalise_key
from fenpei.engine._nodes import Leaf, Op
from fenpei.engine.fields import FieldSpec, FieldType

ValueTest: TypeAlias = Callable[[object, datetime], bool]  # a leaf's test on a value
FieldKey: TypeAlias = tuple[str, Callable[[Customer], object]]

EXACT_FLOAT = 2**53  # every int below this is a float64 exactly
_NUMERIC_TYPES = frozenset((int, float, bool, type(None)))


def field_key(spec: FieldSpec) -> FieldKey:
    """Columns are shared by leaves reading the same field the same way."""
    return spec.name, spec.get


class Coded:
    """A dictionary-encoded column: ``codes[row]`` indexes ``values``, each distinct value
    once, as the field's getter gives it; a leaf's compiled test decides each value once
    for every row holding it."""

    def __init__(self, codes: npt.NDArray[np.int32], values: list[object]) -> None:
        self.codes, self.values = codes, values
        self._keys: list[str | None] | None = None
        self._buckets: tuple[Rows, Rows] | None = None
        self._counts: npt.NDArray[np.intp] | None = None

    def keys(self) -> list[str | None]:
        """Each value as ``equality_keys`` files it (``normalise_key``); None for None."""
        if self._keys is None:
            self._keys = [None if v is None else normalise_key(v) for v in self.values]
        return self._keys

    def _bucketed(self) -> tuple[Rows, Rows]:
        """Rows sorted by code (ascending within a code), and where each code starts."""
        if self._buckets is None:
            order = np.argsort(_narrowest(self.codes, len(self.values)), kind="stable")
            order = order.astype(np.intp, copy=False)
            bounds = np.searchsorted(self.codes[order], np.arange(len(self.values) + 1))
            self._buckets = order, bounds.astype(np.intp)
        return self._buckets

    def count_with(self, codes: Sequence[int]) -> int:
        """How many rows hold any of ``codes``."""
        if self._counts is None:
            self._counts = np.bincount(self.codes, minlength=len(self.values))
        return int(self._counts[list(codes)].sum())

    def rows_with(self, codes: Sequence[int]) -> Rows:
        """The rows holding any of ``codes``, ascending."""
        order, bounds = self._bucketed()
        parts = [order[bounds[c] : bounds[c + 1]] for c in codes]
        if len(parts) == 1:
            return parts[0]
        total = sum(len(part) for part in parts)
        if total * 16 < len(self.codes):  # few rows: merging the buckets is cheaper
            return np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.intp)
        wanted = np.zeros(len(self.values), dtype=bool)
        wanted[list(codes)] = True
        return np.flatnonzero(wanted[self.codes])


def _narrowest(codes: npt.NDArray[np.int32], count: int) -> npt.NDArray[np.integer[Any]]:
    """The codes in the smallest unsigned type holding them: NumPy's stable sort is a
    radix sort for 8- and 16-bit integers, several times faster than for 32-bit ones."""
    if count <= 1 << 8:
        return codes.astype(np.uint8)
    if count <= 1 << 16:
        return codes.astype(np.uint16)
    return codes


def coded(raw: list[object], *, lists: bool = False) -> Coded:
    """Dictionary-encode values read off customers (lists compared as tuples)."""
    keys = [tuple(v) if type(v) is list else v for v in raw] if lists else raw
    try:
        table = {value: code for code, value in enumerate(dict.fromkeys(keys))}
        codes = np.fromiter(map(table.__getitem__, keys), dtype=np.int32, count=len(keys))
    except TypeError:  # a value that cannot be a key: every row is its own value
        codes = np.arange(len(raw), dtype=np.int32)
    return Coded(codes, [raw[row] for row in _first_rows(codes)])


def _first_rows(codes: npt.NDArray[np.int32]) -> list[int]:
    """The first row holding each code. Codes are handed out in order of first
    appearance, so that is where the running maximum of the codes steps up."""
    rising = np.ones(len(codes), dtype=bool)
    if len(codes):
        peak = np.maximum.accumulate(codes)
        rising[1:] = peak[1:] > peak[:-1]
    first: list[int] = np.flatnonzero(rising).tolist()
    return first


class Numbers:
    """A number column as float64, NaN where the value is None (or NaN itself);
    ``none`` works out which are None (NaN is a value, not a missing one) when asked."""

    def __init__(self, values: npt.NDArray[np.float64], none: Callable[[], Mask]) -> None:
        self.values = values
        self._find_none = none
        self._none: Mask | None = None

    def none(self) -> Mask:
        if self._none is None:
            self._none = self._find_none()
        return self._none


def _numbers(raw: list[object]) -> Numbers | None:
    """The float column, or None when a value is not an exactly representable number."""
    if not set(map(type, raw)) <= _NUMERIC_TYPES:
        return None
    try:
        values = np.array(raw, dtype=np.float64)  # None becomes NaN
    except OverflowError:  # an int beyond any float
        return None
    big = np.abs(values) >= EXACT_FLOAT
    if big.any() and any(type(v) is int for v in np.asarray(raw, dtype=object)[big]):
        return None  # a huge int compares exactly in Python, not as a float
    return Numbers(values, lambda: np.fromiter((v is None for v in raw), bool, len(raw)))


class Source(Protocol):
    """Where a batch's field values come from, each in the shape its getter gives it."""

    @property
    def size(self) -> int: ...

    def coded(self, spec: FieldSpec) -> Coded: ...

    def typed(self, spec: FieldSpec) -> Numbers | Moments | None:
        """A number or datetime column, or None if only per-row tests are exact."""
        ...

    def values(self, spec: FieldSpec, rows: list[int]) -> list[object]: ...


class CustomerColumns:
    """Columns read off ``Customer`` objects with each field's getter, once per field."""

    def __init__(self, customers: Sequence[Customer]) -> None:
        self.customers = customers
        self._raw: dict[FieldKey, list[object]] = {}

    @property
    def size(self) -> int:
        return len(self.customers)

    def raw(self, spec: FieldSpec) -> list[object]:
        key = field_key(spec)
        if key not in self._raw:
            self._raw[key] = list(map(spec.get, self.customers))
        return self._raw[key]

    def coded(self, spec: FieldSpec) -> Coded:
        return coded(self.raw(spec), lists=spec.type is FieldType.list_of_text)

    def typed(self, spec: FieldSpec) -> Numbers | Moments | None:
        raw = self.raw(spec)
        return _numbers(raw) if spec.type is FieldType.number else moments(raw)

    def values(self, spec: FieldSpec, rows: list[int]) -> list[object]:
        raw = self.raw(spec)
        return [raw[row] for row in rows]


def _itself(value: object) -> object:
    return value


def value_test(leaf: Leaf) -> ValueTest:
    """The leaf's compiled test, taking the field's value instead of a customer: the same
    closure (``_compile``) with the getter's work already done by the column."""
    assert leaf.spec is not None
    on_value = replace(leaf, spec=replace(leaf.spec, get=_itself))
    return cast(ValueTest, compile_conditions(on_value).test)


class Columns:
    """The columns of one batch of customers at one ``now``, built on first use."""

    def __init__(self, source: Source, now: datetime) -> None:
        self.source, self.now = source, now
        self.size = source.size
        self._coded: dict[FieldKey, Coded] = {}
        self._typed: dict[FieldKey, Numbers | Moments | None] = {}
        self._tests: dict[int, ValueTest] = {}
        self._tables: dict[int, npt.NDArray[np.int8]] = {}
        self._complete: set[int] = set()
        self._leaves: list[Leaf] = []  # keeps every leaf keyed by id() alive

    def coded(self, spec: FieldSpec) -> Coded:
        key = field_key(spec)
        if key not in self._coded:
            self._coded[key] = self.source.coded(spec)
        return self._coded[key]

    def typed(self, spec: FieldSpec) -> Numbers | Moments | None:
        key = field_key(spec)
        if key not in self._typed:
            self._typed[key] = self.source.typed(spec)
        return self._typed[key]

    def test(self, leaf: Leaf) -> ValueTest:
        """The leaf's compiled test: the per-customer truth every column answer matches."""
        if id(leaf) not in self._tests:
            self._leaves.append(leaf)
            self._tests[id(leaf)] = value_test(leaf)
        return self._tests[id(leaf)]

    def leaf(self, leaf: Leaf, rows: Rows) -> Mask:
        """Whether ``leaf`` holds for each of ``rows`` (a new array)."""
        assert leaf.spec is not None
        kind = leaf.spec.type
        if kind in (FieldType.number, FieldType.datetime):
            column = self.typed(leaf.spec)
            if isinstance(column, Numbers):
                return _number_leaf(leaf, column, rows)
            if isinstance(column, Moments):
                answer = moment_leaf(leaf, column, rows, self.now, partial(self.per_row, leaf))
                return self.per_row(leaf, rows) if answer is None else answer
            return self.per_row(leaf, rows)
        return self._coded_leaf(leaf, rows)

    def per_row(self, leaf: Leaf, rows: Rows) -> Mask:
        assert leaf.spec is not None
        test, now = self.test(leaf), self.now
        values = self.source.values(leaf.spec, rows.tolist())
        return np.fromiter((test(v, now) for v in values), bool, len(rows))

    def _coded_leaf(self, leaf: Leaf, rows: Rows) -> Mask:
        assert leaf.spec is not None
        column = self.coded(leaf.spec)
        key = id(leaf)
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = np.full(len(column.values), -1, dtype=np.int8)
        codes = column.codes[rows]
        if key not in self._complete:
            todo: npt.NDArray[np.intp]
            if len(column.values) <= len(rows):
                todo = np.flatnonzero(table < 0)
                self._complete.add(key)
            else:
                present = np.unique(codes)
                todo = present[table[present] < 0].astype(np.intp)
            if len(todo):
                test, now, values = self.test(leaf), self.now, column.values
                table[todo] = [test(values[c], now) for c in todo.tolist()]
        answer: Mask = table[codes] == 1
        return answer


def _number_leaf(leaf: Leaf, column: Numbers, rows: Rows) -> Mask:
    op, operand = leaf.op, leaf.operand
    if op is Op.is_empty:
        return column.none()[rows]
    if op is Op.is_not_empty:
        return ~column.none()[rows]
    values = column.values[rows]
    # NaN (a None) is false in every comparison, as None is in the compiled test.
    if op in (Op.in_, Op.not_in):
        assert isinstance(operand, frozenset)
        found = np.isin(values, np.array(sorted(operand), dtype=np.float64))
        return found if op is Op.in_ else ~found
    if op is Op.between:
        low, high = cast(tuple[float, float], operand)
        return np.greater_equal(values, low) & np.less_equal(values, high)
    bound = cast(float, operand)
    if op is Op.eq:
        return np.equal(values, bound)
    if op is Op.ne:
        return np.not_equal(values, bound)  # NaN != anything, as None ne anything
    if op is Op.gt:
        return np.greater(values, bound)
    if op is Op.gte:
        return np.greater_equal(values, bound)
    if op is Op.lt:
        return np.less(values, bound)
    return np.less_equal(values, bound)
