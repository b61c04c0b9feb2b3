"""The ports of CRM sync: a CRM adapter (one per CRM's API) and the sync repository."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from fenpei.domain.sync import (
    AssignmentRow,
    CrmUser,
    OwnerChange,
    PushAnswer,
    PushRow,
    PushStatus,
    RecordPage,
    SyncState,
)


class CrmAdapter(Protocol):
    """One connection to a CRM's API. Pulls hand back fenpei field names (the adapter
    applies its field map); pushes take CRM ids. Errors are ``CrmError``."""

    name: str  # the connection's name (settings)
    module: str  # the CRM module whose records are fenpei's customers (Leads, Contacts…)

    def users(self) -> list[CrmUser]:
        """The CRM's active users, to match owners with reps."""
        ...

    def pull(self, *, modified_since: datetime | None, page_token: str | None) -> RecordPage:
        """One page of records, oldest change first; all of them when ``modified_since``
        is None, else only those changed after it."""
        ...

    def owners_of(self, external_ids: Sequence[str]) -> dict[str, str | None]:
        """The current owner (CRM user id) of each record, to check an interrupted push."""
        ...

    def push_owners(self, changes: Sequence[OwnerChange]) -> list[PushAnswer]:
        """Set the owners (at most ``max_push`` per call); one answer per change, in order.
        Waits out rate limits and refreshes an expired token itself."""
        ...

    @property
    def max_push(self) -> int: ...


class SyncRepository(Protocol):
    def state(self, connection: str, *, lock: bool = False) -> SyncState: ...
    def save_state(self, state: SyncState) -> None: ...
    def all_states(self) -> list[SyncState]: ...

    def customer_of(self, connection: str, module: str, external_id: str) -> int | None: ...
    def externals_of(
        self, connection: str, module: str, customer_ids: Collection[int]
    ) -> dict[int, str]: ...
    def link(
        self, connection: str, module: str, external_id: str, customer_id: int, now: datetime
    ) -> None: ...
    def link_count(self, connection: str) -> int: ...

    def assignments_after(self, after_id: int, *, limit: int) -> list[AssignmentRow]:
        """Assignments after ``after_id``, by id."""
        ...

    def add_push(
        self,
        *,
        connection: str,
        assignment_id: int,
        customer_id: int,
        external_id: str | None,
        owner_external_id: str | None,
        status: PushStatus,
        note: str | None,
        now: datetime,
    ) -> None: ...
    def pushes(
        self, connection: str, statuses: Collection[PushStatus], *, limit: int
    ) -> list[PushRow]: ...
    def set_push_status(
        self, push_ids: Collection[int], status: PushStatus, *, now: datetime, note: str | None
    ) -> None: ...
    def push_counts(self, connection: str) -> dict[str, int]: ...
