"""Owner changes for every customer matching a filter ("select all N matching"), not for a
list of ids a client sends: the filter is evaluated here, in the transaction that changes
the owners, and the customers go through ``assignments.bulk_assign`` — the same locks,
data scope, capacity checks, records, events and audit entries as any bulk change.

One call is one transaction, all or nothing, of at most ``MAX_BULK_CUSTOMERS`` (5,000)
customers. A filter matching more is refused with its count (``TooManyMatching``), nothing
changed: narrow the filter (by team, region, creation date…) and apply it in parts. A
larger single transaction would hold thousands of row locks for seconds; partial batches
would leave a half-done change behind a refusal, which a user of one confirm does not expect.

The confirm states the count; the apply passes it back as ``expected``. When the filter
matches a different number by then (customers arrived, were deleted or moved), the apply
is refused (``MatchingChanged``) so that nobody moves customers they were not told of.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from fenpei.domain.errors import Conflict, ValidationFailed
from fenpei.domain.users import Actor
from fenpei.services import assignments, customers, scope
from fenpei.services.assignments import MAX_BULK_CUSTOMERS
from fenpei.services.ports import CustomerQuery, UnitOfWork


class TooManyMatching(Conflict):
    """The filter matches more customers than one bulk change may move."""

    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__(
            f"the filter matches {count} customers; at most {MAX_BULK_CUSTOMERS} at once "
            "(narrow the filter and apply it in parts)"
        )


class MatchingChanged(Conflict):
    """The filter matches another number of customers than the confirm stated."""

    def __init__(self, expected: int, found: int) -> None:
        self.expected, self.found = expected, found
        super().__init__(f"the filter matched {expected} customers when confirmed, now {found}")


@dataclass(frozen=True)
class MatchingResult:
    """What an apply did: customers moved per rep id, and those left as they were because
    they already belong to the one chosen rep."""

    by_rep: dict[int, int]
    skipped: int

    @property
    def moved(self) -> int:
        return sum(self.by_rep.values())


def count_matching(*, uow: UnitOfWork, query: CustomerQuery, actor: Actor) -> int:
    """How many customers ``actor`` may see match ``query`` (validated as the list is)."""
    _, total = customers.list_customers(
        uow=uow, query=replace(query, offset=0, limit=1), actor=actor
    )
    return total


def assign_matching(
    *,
    uow: UnitOfWork,
    query: CustomerQuery,
    rep_ids: Sequence[int],
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    expected: int | None = None,
    override_capacity: bool = False,
) -> MatchingResult:
    """Give every customer matching ``query`` within ``actor``'s scope to one rep, or spread
    them evenly over several, in one transaction; all or nothing."""
    scope.require_writer(actor, "assign customers")
    count_matching(uow=uow, query=query, actor=actor)  # validates the filter
    visible = customers.visible_query(uow=uow, query=query, actor=actor)
    owners = uow.customers.owners_matching(visible, limit=MAX_BULK_CUSTOMERS + 1)
    if len(owners) > MAX_BULK_CUSTOMERS:
        raise TooManyMatching(count_matching(uow=uow, query=query, actor=actor))
    if expected is not None and len(owners) != expected:
        raise MatchingChanged(expected, len(owners))
    chosen = list(dict.fromkeys(rep_ids))
    # One rep: customers already theirs stay as they are (moving them is no change).
    moving = [cid for cid, owner in owners.items() if len(chosen) != 1 or owner != chosen[0]]
    if not moving:
        problem = "every matching customer already has this owner" if owners else "none match"
        raise ValidationFailed.one("filter", f"no customer to move: {problem}")
    records = assignments.bulk_assign(
        uow=uow,
        customer_ids=moving,
        rep_ids=chosen,
        actor=actor,
        now=now,
        reason=reason,
        override_capacity=override_capacity,
    )
    by_rep = Counter(record.to_rep_id for record in records if record.to_rep_id is not None)
    return MatchingResult(dict(by_rep), skipped=len(owners) - len(moving))
