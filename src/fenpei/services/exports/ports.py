"""What exports read from storage (adapters/db/repositories/exports.py, tests/fakes/exports.py).

Rows are read in batches by keyset — ``id > after_id`` in id order, ``limit`` at a time —
so an export of a million rows holds one batch at a time and no batch costs more than
the one before (an OFFSET would rescan every row it skips). A row is a named tuple whose
fields are the ``*_FIELDS`` below, in that order, ``id`` first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # services.ports names this module's repository: no import cycle
    from fenpei.services.ports import CustomerQuery

CUSTOMER_FIELDS = (
    "id", "name", "company_name", "phone", "email", "region", "industry", "level", "stage",
    "grade", "score", "owner_id", "team_id", "source", "pool", "created_at", "assigned_at",
)  # fmt: skip
ASSIGNMENT_FIELDS = (
    "id", "customer_id", "customer_name", "from_rep_id", "to_rep_id", "method", "rule_id",
    "strategy", "reason", "explanation", "actor", "at",
)  # fmt: skip
FOLLOW_UP_FIELDS = (
    "id", "customer_id", "customer_name", "rep_id", "author", "kind", "at", "content",
    "outcome", "next_at", "edited_at",
)  # fmt: skip
TASK_FIELDS = (
    "id", "title", "status", "priority", "assignee_id", "team_id", "customer_id",
    "customer_name", "created_by", "due_at", "completed_at", "progress", "created_at",
)  # fmt: skip


@dataclass(frozen=True)
class RecordFilter:
    """Which history rows (assignments, follow-ups, tasks) to export, within a scope.

    ``rep_ids`` / ``team_ids`` None: any. Otherwise assignments and follow-ups are those of
    customers owned by one of ``rep_ids`` or held for one of ``team_ids`` (the customer
    list's rule); tasks those assigned to one of ``rep_ids``, held for one of ``team_ids``
    or created by ``creator_user_id`` (the task list's rule). ``since`` / ``until`` bound
    the record's time (assignment and follow-up: when; task: created), ``rep_id`` the rep
    it names (to, by, assignee)."""

    rep_ids: frozenset[int] | None = None
    team_ids: frozenset[int] = frozenset()
    creator_user_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    rep_id: int | None = None


class ExportRepository(Protocol):
    def count_customers(self, query: CustomerQuery) -> int: ...
    def customer_rows(self, query: CustomerQuery, *, after_id: int, limit: int) -> list[Any]:
        """Live customers matching ``query`` (its sort and page aside), ``CUSTOMER_FIELDS``."""
        ...

    def count_records(self, table: str, where: RecordFilter) -> int: ...
    def reps_may_export(self) -> bool | None:
        """The admin's saved choice; None while nobody chose (the configured default)."""
        ...

    def save_reps_may_export(self, value: bool, *, by: str, at: datetime) -> None: ...
    def record_rows(
        self, table: str, where: RecordFilter, *, after_id: int, limit: int
    ) -> list[Any]:
        """Rows of ``table`` (assignments, follow_ups, tasks) with that table's fields."""
        ...
