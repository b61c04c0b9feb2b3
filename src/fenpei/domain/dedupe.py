"""Duplicate pairs to review and customer merges (合并), with the rule for the survivor's
owner. Pure: no I/O.

The survivor's owner (stated on the merge page before the merge):

1. only one of the two is owned → the survivor ends with that owner;
2. both are owned by the same rep, or neither is owned → nothing changes;
3. both are owned by different reps → the owner of the customer followed up more
   recently (``last_follow_up_at``) wins; if neither was followed up, or on a tie, the
   older ownership (earlier ``assigned_at``) wins; if still tied, the survivor's owner.

Any change this makes goes through ``give()`` with ``AssignMethod.merge``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from fenpei.domain.customers import Customer


class PairStatus(StrEnum):
    open = "open"
    dismissed = "dismissed"
    merged = "merged"


# The fields a merge lets the user choose, one value per field, from either customer.
# Not offered: the stage (it moves only with its record, kept on the survivor), the
# external id (unique; each keeps its own), tags (united) and custom fields (chosen per key
# as ``custom.<key>``; keys only the merged-away customer has are carried over).
MERGE_FIELDS = (
    "name", "company_name", "phone", "email", "wechat", "country", "province", "city",
    "region", "industry", "employees", "revenue", "level", "customer_type", "source",
    "product_interest", "expected_value",
)  # fmt: skip


@dataclass(eq=False)
class DuplicatePair:
    """Two customers that may be one (``low_id < high_id``), with why, to review."""

    low_id: int
    high_id: int
    score: float
    reasons: list[str]
    found_at: datetime
    similarity: float | None = None
    status: PairStatus = PairStatus.open
    decided_at: datetime | None = None
    decided_by: str | None = None
    id: int | None = None


@dataclass(eq=False)
class CustomerMerge:
    """One merge, with everything needed to undo it: the merged-away customer's full
    snapshot, the survivor's fields before, the choices made and the rows moved."""

    survivor_id: int
    loser_id: int
    actor: str
    at: datetime
    choices: dict[str, str]  # field -> "survivor" | "loser"
    survivor_before: dict[str, Any]
    loser_snapshot: dict[str, Any]
    survivor_after: dict[str, Any] = field(default_factory=dict)
    moved: dict[str, list[Any]] = field(default_factory=dict)  # table -> moved row keys
    owner_change: dict[str, Any] = field(default_factory=dict)
    pair_id: int | None = None
    undone_at: datetime | None = None
    undone_by: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class OwnerOutcome:
    """Who owns the survivor after the merge, and the rule's words for why."""

    rep_id: int | None
    changes: bool
    reason: str  # a key of the rule's sentence (dedupe.owner.<reason>)


def survivor_owner(survivor: Customer, loser: Customer) -> OwnerOutcome:
    """The survivor's owner by the rule above."""
    kept, other = survivor.owner_id, loser.owner_id
    if other is None or other == kept:
        return OwnerOutcome(kept, False, "kept" if kept is not None else "none")
    if kept is None:
        return OwnerOutcome(other, True, "only_other")
    s_follow, l_follow = survivor.last_follow_up_at, loser.last_follow_up_at
    if s_follow != l_follow and (s_follow is not None or l_follow is not None):
        if l_follow is not None and (s_follow is None or l_follow > s_follow):
            return OwnerOutcome(other, True, "recent_follow_up")
        return OwnerOutcome(kept, False, "recent_follow_up")
    s_at, l_at = survivor.assigned_at, loser.assigned_at
    if l_at is not None and (s_at is None or l_at < s_at):
        return OwnerOutcome(other, True, "older_assignment")
    return OwnerOutcome(kept, False, "older_assignment")


def ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)
