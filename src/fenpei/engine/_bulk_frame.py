"""Columns straight from an Arrow table, for the batch path: no ``Customer`` objects.

The table's columns are named as the field catalog names fields (``region``,
``employees``, ``custom.budget`` …) and hold what that field's getter would return, so the
compiled tests judge a value from the table exactly as they judge one read off a customer:

- text and choice: strings (or a dictionary of strings); date: ISO strings or Arrow dates;
- number: integers or floats (not booleans, not decimals: cast those to float64 first);
- datetime: timestamps of any unit, naive ones read as UTC (as ``fields`` reads them);
- list of text: lists of strings, a null list counting as empty.

Text is dictionary-encoded by Arrow (a dictionary column, such as a Polars categorical,
keeps its own codes; a value listed twice in its dictionary is merely decided twice), a
list of text list by list from its elements' codes; numbers and timestamps become NumPy
arrays. No step runs in Python per row: only one value per distinct value, and the rows a
test must take one at a time (see ``_bulk_columns``), are read into Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from fenpei.engine._bulk_columns import EXACT_FLOAT, Coded, Numbers
from fenpei.engine._bulk_moments import Moments
from fenpei.engine.fields import FieldSpec, FieldType

_Check = Callable[[Any], bool]


def _TEXT(value_type: Any) -> bool:
    is_text: bool = pa.types.is_string(value_type) or pa.types.is_large_string(value_type)
    return is_text or bool(pa.types.is_string_view(value_type))


_EXPECTED: dict[FieldType, tuple[str, _Check]] = {
    FieldType.text: ("strings", _TEXT),
    FieldType.choice: ("strings", _TEXT),
    FieldType.date: ("ISO date strings or dates", lambda t: _TEXT(t) or pa.types.is_date(t)),
    FieldType.number: (
        "integers or floats",
        lambda t: pa.types.is_integer(t) or pa.types.is_floating(t),
    ),
    FieldType.datetime: ("timestamps", lambda t: pa.types.is_timestamp(t)),
    FieldType.list_of_text: (
        "lists of strings",
        lambda t: (
            (pa.types.is_list(t) or pa.types.is_large_list(t))
            and (_TEXT(t.value_type) or pa.types.is_null(t.value_type))
        ),
    ),
}


def _as_table(frame: object) -> Any:
    """An Arrow table, or whatever Arrow reads as one (a Polars DataFrame, say)."""
    if isinstance(frame, pa.Table):
        return frame
    try:
        return pa.table(frame)
    except (TypeError, ValueError) as error:
        raise ValueError(f"expected an Arrow table or a data frame, got {type(frame)}") from error


def _normalised(name: str, spec: FieldSpec, column: Any) -> Any:
    """One contiguous array of the column, in the one Arrow type used for its field type;
    a ValueError naming the column if its type cannot hold the field's values."""
    kind = spec.type
    if isinstance(column, pa.ChunkedArray):
        if pa.types.is_dictionary(column.type):
            column = column.unify_dictionaries()
        column = column.combine_chunks()
    array = column
    value_type = array.type
    coded = kind in (FieldType.text, FieldType.choice, FieldType.date)
    if pa.types.is_dictionary(value_type) and _TEXT(value_type.value_type):
        if coded:
            return array  # already dictionary-encoded: its codes are used as they are
        array, value_type = array.dictionary_decode(), value_type.value_type
    expected, fits = _EXPECTED[kind]
    if pa.types.is_null(value_type):
        return array  # every value missing: fits any field
    if not fits(value_type):
        raise ValueError(
            f"column {name!r} holds {value_type}, but {name} is a {kind.label} field: "
            f"expected {expected}"
        )
    if coded:
        return pc.cast(array, pa.large_string())  # a date becomes its ISO text
    if kind is FieldType.datetime:
        try:
            return pc.cast(array, pa.timestamp("us", tz=value_type.tz))
        except pa.ArrowInvalid as error:
            raise ValueError(
                f"column {name!r} holds {value_type} with parts of a microsecond; "
                "routing compares datetimes to the microsecond"
            ) from error
    return array


class TableColumns:
    """A ``Source`` over an Arrow table's columns, checked against the field catalog."""

    def __init__(self, frame: object, catalog: Mapping[str, FieldSpec]) -> None:
        table = _as_table(frame)
        names: list[str] = table.column_names
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise ValueError(f"column {name!r} appears twice")
            seen.add(name)
            if name not in catalog:
                raise ValueError(
                    f"column {name!r} is not a field routing knows; fields are {', '.join(catalog)}"
                )
        self.names = frozenset(names)
        self._size: int = table.num_rows
        self._arrays = {n: _normalised(n, catalog[n], table.column(n)) for n in names}

    @property
    def size(self) -> int:
        return self._size

    def _array(self, spec: FieldSpec) -> Any:
        if spec.name not in self._arrays:
            raise ValueError(f"the table has no column {spec.name!r}, which a rule tests")
        return self._arrays[spec.name]

    def coded(self, spec: FieldSpec) -> Coded:
        array = self._array(spec)
        if spec.type is FieldType.list_of_text:
            return _coded_lists(array, self._size)
        if pa.types.is_null(array.type):
            nothing: list[object] = [None] if self._size else []
            return Coded(np.zeros(self._size, dtype=np.int32), nothing)
        if pa.types.is_dictionary(array.type):  # a null gets the code after the values
            values: list[object] = [*array.dictionary.to_pylist(), None]
            indices = array.indices.fill_null(len(values) - 1)
            return Coded(_numpy(indices).astype(np.int32, copy=False), values)
        encoded = pc.dictionary_encode(array, null_encoding="encode")
        codes = _numpy(encoded.indices).astype(np.int32, copy=False)
        return Coded(codes, encoded.dictionary.to_pylist())

    def typed(self, spec: FieldSpec) -> Numbers | Moments | None:
        array = self._array(spec)
        missing = _numpy(array.is_null())
        if spec.type is FieldType.number:
            if pa.types.is_null(array.type):
                return Numbers(np.full(self._size, np.nan), lambda: missing)
            if pa.types.is_integer(array.type):
                whole = _numpy(array.fill_null(0))
                if len(whole) and np.abs(whole.astype(np.float64)).max() >= EXACT_FLOAT:
                    return None  # a huge int compares exactly in Python, not as a float
                values = whole.astype(np.float64)
                values[missing] = np.nan
            else:
                values = _numpy(array.fill_null(np.nan)).astype(np.float64, copy=False)
            return Numbers(values, lambda: missing)
        if pa.types.is_null(array.type):
            return Moments(np.zeros(self._size, dtype=np.int64), missing, set)
        micros = _numpy(pc.cast(array, pa.int64()).fill_null(0)).astype(np.int64, copy=False)
        zone = _zone(array.type)
        return Moments(micros, missing, lambda: {zone})

    def values(self, spec: FieldSpec, rows: list[int] | None) -> list[object]:
        """The column's values at ``rows`` (all when None) as the field's getter gives
        them: a null list is ``[]``, a naive timestamp is UTC."""
        array = self._array(spec)
        if rows is not None:
            array = array.take(pa.array(rows, type=pa.int64()))
        found: list[object] = array.to_pylist()
        if spec.type is FieldType.list_of_text:
            return [[] if v is None else v for v in found]
        naive = pa.types.is_timestamp(array.type) and array.type.tz is None
        if naive:
            return [v if v is None else cast(datetime, v).replace(tzinfo=UTC) for v in found]
        return found


def _coded_lists(array: Any, size: int) -> Coded:
    """A list-of-text column dictionary-encoded as whole lists: each element gets a code,
    each row the row of its element codes (padded with -1), and equal rows one code; only
    one list per distinct list is read into Python."""
    if pa.types.is_null(array.type):
        nothing: list[object] = [[]] if size else []
        return Coded(np.zeros(size, dtype=np.int32), nothing)
    lengths = _numpy(pc.list_value_length(array).fill_null(0)).astype(np.intp)
    width = int(lengths.max()) if size else 0
    elements = pc.dictionary_encode(pc.list_flatten(array), null_encoding="encode")
    element_codes = _numpy(elements.indices).astype(np.int64)
    matrix = np.full((size, width), -1, dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    owners = np.repeat(np.arange(size), lengths)
    matrix[owners, np.arange(len(element_codes)) - starts[owners]] = element_codes
    base = len(elements.dictionary) + 1  # -1 (no element) becomes 0 below
    if width and base**width < 1 << 62:  # one int64 key per list: a 1-D unique
        keys = (matrix + 1) @ (base ** np.arange(width, dtype=np.int64))
        _, first, codes = np.unique(keys, return_index=True, return_inverse=True)
    else:
        _, first, codes = np.unique(matrix, axis=0, return_index=True, return_inverse=True)
    listed = array.take(pa.array(first, type=pa.int64())).to_pylist()
    values: list[object] = [[] if v is None else v for v in listed]
    return Coded(codes.reshape(-1).astype(np.int32), values)


def _numpy(array: Any) -> npt.NDArray[Any]:
    result: npt.NDArray[Any] = array.to_numpy(zero_copy_only=False)
    return result


def _zone(timestamps: Any) -> tzinfo | None:
    """The tzinfo Python values of the column carry (UTC for naive ones)."""
    if timestamps.tz is None:
        return UTC
    moment: datetime = pa.scalar(0, type=timestamps).as_py()
    return moment.tzinfo
