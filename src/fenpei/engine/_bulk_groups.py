"""Rows that no rule can tell apart, grouped, so the scan evaluates one row per group.

Every leaf on a dictionary-encoded field answers the same for rows sharing a code, and
every leaf on a float column answers the same for values that fall on the same side of,
or on, each constant the rules compare that field with. A row's first match therefore
depends only on its combination of codes and number classes: a million customers over
territory rules (province, industry, level) have a few thousand combinations, and the
scan runs over one row of each, the answers then gathered back to every row.

Datetimes group the same way by the instants they are compared with. Leaves that are not
decided by such constants (business hours, an age compared by wall clock, a number a float
cannot hold) make grouping unsafe: ``groups`` then answers None and the scan works on
every row, as it does when there are hardly fewer groups than rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import numpy.typing as npt

from fenpei.engine._bulk_columns import Columns, Numbers
from fenpei.engine._bulk_moments import Moments, Rows, micros
from fenpei.engine._nodes import Age, Leaf, Node, Not, Span
from fenpei.engine.fields import FieldSpec, FieldType

LARGEST_KEY = 1 << 62  # combined keys stay exact in int64
DENSE_KEYS = 1 << 22  # up to this many possible keys, found with a table, not a sort


@dataclass(frozen=True)
class Groups:
    """``group[row]`` for every row; ``representative`` a row of each group, ascending,
    with ``of[i]`` the group of ``representative[i]``."""

    group: npt.NDArray[np.intp]
    representative: Rows
    of: npt.NDArray[np.intp]

    @property
    def count(self) -> int:
        return len(self.representative)


def _leaves(node: Node) -> Iterable[Leaf]:
    if isinstance(node, Leaf):
        yield node
    elif isinstance(node, Not):
        yield from _leaves(node.child)
    else:
        for child in node.children:
            yield from _leaves(child)


def _number_bounds(leaves: list[Leaf]) -> npt.NDArray[np.float64] | None:
    """Every constant the leaves compare the field with, sorted; None if a leaf's
    operand is not a number, a set, a range or nothing."""
    bounds: set[float] = set()
    for leaf in leaves:
        operand = leaf.operand
        if operand is None:
            continue
        items = list(operand) if isinstance(operand, frozenset | tuple) else [operand]
        numbers = [v for v in items if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(numbers) < len(items):
            return None
        bounds.update(map(float, numbers))
    return np.array(sorted(bounds), dtype=np.float64)


def _number_classes(column: Numbers, bounds: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Class ``2i`` below bound ``i`` (above the one before), ``2i + 1`` on it; NaN and
    None have a class each (``is_empty`` tells them apart, comparisons do not)."""
    values, size = column.values, len(bounds)
    at = np.searchsorted(bounds, values, side="left")
    on = np.zeros(len(values), dtype=bool)
    inside = at < size
    on[inside] = bounds[at[inside]] == values[inside]
    classes = 2 * at.astype(np.int64) + on
    classes[np.isnan(values)] = 2 * size + 1
    classes[column.none()] = 2 * size + 2
    return classes


def _instant_bounds(
    leaves: list[Leaf], column: Moments | Numbers | None, now: datetime
) -> npt.NDArray[np.int64] | None:
    """Every instant (microseconds) the leaves compare the field with, sorted; None if a
    leaf is not decided by instants alone (business hours, a wall-clock age: see
    ``_bulk_moments.moment_leaf``)."""
    if not isinstance(column, Moments):
        return None
    bounds: set[int] = set()
    for leaf in leaves:
        operand = leaf.operand
        if isinstance(operand, Span):
            bounds.update(micros(m) for m in (operand.start, operand.end) if m is not None)
        elif isinstance(operand, Age):
            cutoff = now - operand.days
            zone = cutoff.tzinfo
            if not isinstance(zone, timezone) and zone in column.zones():
                return None
            bounds.add(micros(cutoff))
        elif operand is not None:
            return None
    return np.array(sorted(bounds), dtype=np.int64)


def _instant_classes(column: Moments, bounds: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """As ``_number_classes``, missing values in a class of their own."""
    values, size = column.micros, len(bounds)
    at = np.searchsorted(bounds, values, side="left")
    on = np.zeros(len(values), dtype=bool)
    inside = at < size
    on[inside] = bounds[at[inside]] == values[inside]
    classes = 2 * at.astype(np.int64) + on
    classes[column.missing] = 2 * size + 1
    return classes


def _codes(
    columns: Columns, spec: FieldSpec, leaves: list[Leaf]
) -> tuple[npt.NDArray[np.int64], int] | None:
    """The field's per-row codes and how many there can be, or None if it cannot group."""
    if spec.type is FieldType.number:
        column = columns.typed(spec)
        bounds = _number_bounds(leaves)
        if not isinstance(column, Numbers) or bounds is None:
            return None
        return _number_classes(column, bounds), 2 * len(bounds) + 3
    if spec.type is FieldType.datetime:
        moments = columns.typed(spec)
        instants = _instant_bounds(leaves, moments, columns.now)
        if not isinstance(moments, Moments) or instants is None:
            return None
        return _instant_classes(moments, instants), 2 * len(instants) + 2
    coded = columns.coded(spec)
    return coded.codes.astype(np.int64), max(1, len(coded.values))


def groups(columns: Columns, nodes: Iterable[Node]) -> Groups | None:
    """The rows grouped by every field the ``nodes`` test; None when some field cannot
    group or there are too many groups to save work."""
    size = columns.size
    by_field: dict[str, tuple[FieldSpec, list[Leaf]]] = {}
    for node in nodes:
        for leaf in _leaves(node):
            assert leaf.spec is not None
            by_field.setdefault(leaf.field, (leaf.spec, []))[1].append(leaf)
    key = np.zeros(size, dtype=np.int64)
    span = 1
    for name in sorted(by_field):
        spec, leaves = by_field[name]
        found = _codes(columns, spec, leaves)
        if found is None:
            return None
        codes, count = found
        span *= count
        if span >= LARGEST_KEY:
            return None
        key *= count
        key += codes
    if span <= DENSE_KEYS:
        seen = np.zeros(span, dtype=bool)
        seen[key] = True
        keys = np.flatnonzero(seen)
        number = np.zeros(span, dtype=np.intp)
        number[keys] = np.arange(len(keys))
        group = number[key]
    else:
        keys, group = np.unique(key, return_inverse=True)
        group = group.astype(np.intp, copy=False)
    if len(keys) * 4 > size:
        return None  # hardly fewer groups than rows
    any_row = np.empty(len(keys), dtype=np.intp)
    any_row[group] = np.arange(size)  # some row of each group, whichever wrote last
    order = np.argsort(any_row)
    return Groups(group, any_row[order], order.astype(np.intp, copy=False))
