"""External ids seen while a file is checked, kept in 16 bytes a row (a 64-bit hash of the
id and the row's number) rather than as a dict of the ids themselves: checking a file of a
million rows holds megabytes, not a copy of the column. Rows whose hashes meet are read
again to compare the ids themselves, so a collision never reports a false repeat."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping

import numpy as np

_hash = hash  # a module name, so a test can make every id collide


class SeenIds:
    def __init__(self) -> None:
        self._hashes = array("q")
        self._rows = array("q")

    def add(self, external_id: str, row: int) -> None:
        self._hashes.append(_hash(external_id))
        self._rows.append(row)

    def repeats(
        self,
        rows: Iterable[tuple[int, Mapping[str, str]]],
        id_of: Callable[[Mapping[str, str]], object],
    ) -> list[tuple[int, str, int]]:
        """``(row, id, first row)`` for every row whose id an earlier row holds; ``rows``
        is the file again (read only if two hashes meet), ``id_of`` a row's id."""
        if len(self._hashes) < 2:
            return []
        hashes = np.frombuffer(self._hashes, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        meets = np.flatnonzero(ordered[1:] == ordered[:-1])
        if not len(meets):
            return []
        suspects = set(np.frombuffer(self._rows, dtype=np.int64)[order[meets]].tolist())
        suspects |= set(np.frombuffer(self._rows, dtype=np.int64)[order[meets + 1]].tolist())
        first_row_of: dict[str, int] = {}
        found = []
        for number, cells in rows:
            if number not in suspects:
                continue
            external_id = id_of(cells)
            if not isinstance(external_id, str):
                continue
            first = first_row_of.setdefault(external_id, number)
            if first != number:
                found.append((number, external_id, first))
        return found
