"""What the dedupe services need of storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from fenpei.domain.dedupe import CustomerMerge, DuplicatePair, PairStatus
from fenpei.engine.dedupe import KeyedCustomer


class DedupeRepository(Protocol):
    def keyed_customers(self, *, ids: Sequence[int] | None = None) -> list[KeyedCustomer]:
        """Every live customer's duplicate keys and company name (or only ``ids``')."""
        ...

    def pairs(self, *, status: PairStatus | None, limit: int, offset: int) -> list[DuplicatePair]:
        """Pairs by score, strongest first, both customers live."""
        ...

    def count_pairs(self, *, status: PairStatus | None) -> int: ...

    def all_pairs(self) -> list[DuplicatePair]: ...

    def get_pair(self, pair_id: int, *, lock: bool = False) -> DuplicatePair | None: ...

    def find_pair(self, low_id: int, high_id: int) -> DuplicatePair | None: ...

    def add_pairs(self, pairs: Sequence[DuplicatePair]) -> None: ...

    def update_pair(self, pair: DuplicatePair) -> None: ...

    def delete_pairs(self, ids: Sequence[int]) -> None: ...

    def move_rows(self, *, from_id: int, to_id: int) -> dict[str, list[Any]]:
        """Point every history row of customer ``from_id`` at ``to_id``; which moved."""
        ...

    def move_back(self, *, moved: dict[str, list[Any]], from_id: int, to_id: int) -> list[str]:
        """Undo ``move_rows``: rows in ``moved`` go from ``to_id`` back to ``from_id``.
        Returns the tables where a moved row no longer points at ``to_id`` (nothing is
        changed then)."""
        ...

    def add_merge(self, merge: CustomerMerge) -> CustomerMerge: ...

    def get_merge(self, merge_id: int, *, lock: bool = False) -> CustomerMerge | None: ...

    def merges(self, *, limit: int, offset: int) -> list[CustomerMerge]: ...

    def later_merges(self, merge: CustomerMerge) -> list[CustomerMerge]:
        """Merges after ``merge``, not undone, touching either of its customers."""
        ...

    def mark_undone(self, merge_id: int, *, at: datetime, by: str) -> None: ...
