"""What the SLA services need from storage (adapters/db/repositories/sla.py, tests/fakes/sla.py)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from fenpei.domain.sla import CalendarDay, SlaClock, SlaPolicy


class SlaRepository(Protocol):
    def policies(self) -> list[SlaPolicy]:
        """Every policy, by position then id."""
        ...

    def get_policy(self, policy_id: int) -> SlaPolicy | None: ...
    def add_policy(self, policy: SlaPolicy) -> None: ...
    def delete_policy(self, policy: SlaPolicy) -> None: ...

    def add_clock(self, clock: SlaClock) -> None: ...
    def get_clock(self, clock_id: int, *, lock: bool = False) -> SlaClock | None: ...
    def open_clock(self, customer_id: int) -> SlaClock | None:
        """The customer's open clock, if any."""
        ...

    def clocks_for(self, customer_id: int) -> list[SlaClock]:
        """The customer's clocks, newest first."""
        ...

    def latest_by_customer(self, customer_ids: Collection[int]) -> dict[int, SlaClock]:
        """Each customer's newest clock (for lists)."""
        ...

    def calendar_days(self, calendar: str, years: Collection[int]) -> list[CalendarDay]:
        """The admin's entries of ``calendar`` in those years, by day."""
        ...

    def add_days(self, days: Sequence[CalendarDay]) -> None: ...
    def delete_year(self, calendar: str, year: int) -> int:
        """Delete the admin's entries of ``calendar`` in ``year``; how many there were."""
        ...

    def cancel_open_many(self, customer_ids: Collection[int], *, now: datetime) -> int:
        """Stop the open clocks of these customers in one statement (a set-based release,
        such as a reclaim batch, that bypasses ``cancel_open``); how many."""
        ...

    # The sla-check job: set-based where it can be, each step claimed by a conditional
    # update so that two processes never do it twice.
    def mark_met(self, *, now: datetime, customer_id: int | None = None) -> int:
        """Open clocks (of ``customer_id``, or all) whose owner has followed the customer up
        since the clock started: met, in one statement (breached ones get ``met_at`` and
        stay breached); how many."""
        ...

    def cancel_closed(self, *, now: datetime) -> int:
        """Open clocks (first or next contact) of won or lost customers, not yet due or
        paused: cancelled, in one statement; how many. A missed one is left to be breached."""
        ...

    def settle_contacts(self, *, now: datetime) -> int:
        """Met clocks whose contact no next clock can follow (no next-contact target, the
        policy off or gone, the customer changed hands, was won, lost or deleted):
        ``followed_at`` set, in one statement; how many."""
        ...

    def due(self, step: str, *, now: datetime, limit: int) -> list[SlaClock]:
        """Clocks due for ``step`` ("remind", "breach", "reassign"; "follow": met, the next
        clock not yet started) at ``now``, by due time."""
        ...

    def claim(self, clock_id: int, step: str, *, now: datetime) -> bool:
        """Do ``step`` on the clock if it is still due (reminded_at / state+breached_at /
        escalated_at / reassigned_at / followed_at set to ``now``); False if another
        process did it."""
        ...
