"""The first matching rule for many customers: rules in priority order, each evaluated as
boolean masks over only the customers that are still unplaced and that its equality
conditions admit, so the work shrinks as customers are placed."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from fenpei.domain.customers import Customer
from fenpei.engine._bulk_columns import Coded, Columns, CustomerColumns, Source
from fenpei.engine._bulk_groups import Groups, groups
from fenpei.engine._bulk_moments import Mask, Rows
from fenpei.engine._describe import equality_keys
from fenpei.engine._nodes import All, Leaf, Node, Not
from fenpei.engine.eligibility import in_window
from fenpei.engine.fields import FieldSpec
from fenpei.engine.router import CompiledRule

NO_RULE = -1


def _specs(node: Node, found: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
    """The spec behind each field name a tree tests."""
    if isinstance(node, Leaf):
        if node.spec is not None:
            found.setdefault(node.field, node.spec)
    elif isinstance(node, Not):
        _specs(node.child, found)
    else:
        for child in node.children:
            _specs(child, found)
    return found


class _Admits:
    """A rule's equality index entry: the rows whose value in ``column`` it accepts (all
    others fail it, per ``equality_keys``), also as a mask over the column's codes."""

    def __init__(self, column: Coded, codes: list[int], count: int) -> None:
        self.column, self.codes, self.count = column, codes, count
        self.by_code = np.zeros(len(column.values), dtype=bool)
        self.by_code[codes] = True
        self._rows: Rows | None = None

    @property
    def rows(self) -> Rows:
        """The admitted rows, ascending; built on first use (a pass over the column)."""
        if self._rows is None:
            self._rows = self.column.rows_with(self.codes)
        return self._rows

    def among(self, rows: Rows) -> Rows:
        return rows[self.by_code[self.column.codes[rows]]]


class Scanner:
    """Finds, for sets of customers (by row), the first rule at or after a position whose
    conditions hold; rules that are disabled or outside their window at ``now`` never do.
    It reads ``customers`` (objects) or any other column ``Source``, such as a table's."""

    def __init__(
        self,
        customers: Sequence[Customer] | Source,
        rules: Sequence[CompiledRule],
        *,
        now: datetime,
    ) -> None:
        source = CustomerColumns(customers) if isinstance(customers, Sequence) else customers
        self.columns = Columns(source, now)
        self.nodes = [compiled.matches.node for compiled in rules]
        self.live = [
            p
            for p, compiled in enumerate(rules)
            if compiled.rule.enabled and in_window(compiled.rule.window, now)
        ]
        size = source.size
        self._pending = np.zeros(size, dtype=bool)  # scratch: rows still looking
        self._slot = np.zeros(size, dtype=np.intp)  # scratch: row -> place in the answer
        self._admits: dict[int, _Admits | None] = {}
        self._groups: Groups | None = None
        self._grouped = False
        self._by_group: dict[int, npt.NDArray[np.intp]] = {}  # start -> each group's match

    def admits(self, position: int) -> _Admits | None:
        """The rule's most selective equality index entry, or None if it has none."""
        if position not in self._admits:
            node = self.nodes[position]
            keys = equality_keys(node) or {}
            specs = _specs(node, {})
            best: tuple[int, Coded, list[int]] | None = None
            for name in sorted(keys):
                column = self.columns.coded(specs[name])
                codes = [code for code, key in enumerate(column.keys()) if key in keys[name]]
                count = column.count_with(codes)
                if best is None or count < best[0]:
                    best = count, column, codes
            found = None if best is None else _Admits(best[1], best[2], best[0])
            self._admits[position] = found
        return self._admits[position]

    def matches(self, node: Node, rows: Rows) -> Mask:
        """Whether ``node`` holds for each of ``rows``; groups narrow as they go, so a
        child is evaluated only where it can still change the answer."""
        if isinstance(node, Leaf):
            return self.columns.leaf(node, rows)
        if isinstance(node, Not):
            return ~self.matches(node.child, rows)
        if not node.children:
            return np.ones(len(rows), dtype=bool)
        every = isinstance(node, All)
        mask = self.matches(node.children[0], rows)
        for child in node.children[1:]:
            open_ = np.flatnonzero(mask if every else ~mask)
            if not len(open_):
                break
            if len(open_) == len(rows):
                mask = self.matches(child, rows)
                continue
            answer = self.matches(child, rows[open_])
            if every:
                mask[open_[~answer]] = False
            else:
                mask[open_[answer]] = True
        return mask

    def rule_matches(self, position: int, rows: Rows) -> Mask:
        """Whether rule ``position``'s conditions hold for each of ``rows`` (its window and
        enabled flag aside)."""
        return self.matches(self.nodes[position], rows)

    def groups(self) -> Groups | None:
        """The rows grouped by what the live rules can tell apart (``_bulk_groups``)."""
        if not self._grouped:
            self._groups = groups(self.columns, [self.nodes[p] for p in self.live])
            self._grouped = True
        return self._groups

    def first_match(self, rows: Rows, start: int = 0) -> npt.NDArray[np.intp]:
        """For each of ``rows`` (ascending), the first live rule at position ``start`` or
        later whose conditions hold, or ``NO_RULE``: worked out once per group of rows no
        rule tells apart when there are far fewer groups than rows."""
        grouped = self.groups()
        if grouped is None or grouped.count * 4 > len(rows):
            return self._scan(rows, start)
        by_group = self._by_group.get(start)
        if by_group is None:
            by_group = np.empty(grouped.count, dtype=np.intp)
            by_group[grouped.of] = self._scan(grouped.representative, start)
            self._by_group[start] = by_group
        answer: npt.NDArray[np.intp] = by_group[grouped.group[rows]]
        return answer

    def _scan(self, rows: Rows, start: int) -> npt.NDArray[np.intp]:
        """``first_match`` rule by rule over the rows themselves."""
        answer = np.full(len(rows), NO_RULE, dtype=np.intp)
        if not len(rows):
            return answer
        pending, slot = self._pending, self._slot
        pending[rows] = True
        slot[rows] = np.arange(len(rows))
        low, high = int(rows[0]), int(rows[-1]) + 1
        active, stale, left = rows, False, len(rows)
        size = self.columns.size
        try:
            for position in self.live[bisect_left(self.live, start) :]:
                admits = self.admits(position)
                lo = hi = 0
                # the index slice only when the rows it holds in [low, high) may be fewer
                # than the active ones (on a uniform spread): building it is a full pass
                index = admits
                if index is not None and index.count * (high - low) > len(active) * size:
                    index = None
                if index is not None:
                    lo, hi = np.searchsorted(index.rows, (low, high))
                if index is not None and hi - lo <= len(active):
                    candidates = index.rows[lo:hi]  # the index slice: no pass over active
                    candidates = candidates[pending[candidates]]
                else:
                    if stale:  # drop the rows placed since: the active set only shrinks
                        active, stale = active[pending[active]], False
                    candidates = active if admits is None else admits.among(active)
                if not len(candidates):
                    continue
                placed = candidates[self.rule_matches(position, candidates)]
                if len(placed):
                    answer[slot[placed]] = position
                    pending[placed] = False
                    left -= len(placed)
                    stale = True
                    if not left:
                        break
        finally:
            pending[rows] = False
        return answer
