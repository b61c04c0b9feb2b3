"""Undoing a merge (admins): the merged-away customer comes back, the rows the merge moved
go back to it, and the survivor's fields and owner revert (a survivor that had no owner
goes back to the pool it waited in, or to the public pool if it never waited in one).

Refused, with the reason, when something since makes it unsafe:

- the merge was undone already;
- a later merge (not undone) involved either customer: undo that one first;
- the survivor was deleted or merged away since, or the other customer is no longer the
  one this merge hid (restored or deleted again);
- a survivor field the merge set was edited since (named): reverting would lose that edit;
- the survivor's owner changed since the merge changed it;
- a row the merge moved was moved again or deleted (its table named).

Rows added to the survivor after the merge stay with the survivor.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fenpei.domain.assignments import AssignMethod
from fenpei.domain.audit import AuditEntry
from fenpei.domain.dedupe import CustomerMerge, PairStatus, ordered
from fenpei.domain.errors import Conflict, NotFound
from fenpei.domain.rules import PUBLIC_POOL
from fenpei.domain.users import Actor
from fenpei.services import _audit, scope
from fenpei.services.assignments import give, release
from fenpei.services.dedupe.merge import CHANGED_FIELDS, emit_merged
from fenpei.services.ports import UnitOfWork
from fenpei.services.sla import clocks as sla_clocks

_DECIMALS = {"revenue", "expected_value"}
_MOMENTS = {"last_follow_up_at", "next_follow_up_at"}


def _revive(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _DECIMALS:
        return Decimal(str(value))
    if name in _MOMENTS:
        return datetime.fromisoformat(value)
    return value


def undo_merge(*, uow: UnitOfWork, actor: Actor, merge_id: int, now: datetime) -> CustomerMerge:
    """Put back both customers as they were before the merge, if nothing since forbids it."""
    scope.require_admin(actor, "undo a merge")
    merge = uow.dedupe.get_merge(merge_id, lock=True)
    if merge is None or merge.id is None:
        raise NotFound("merge", merge_id)
    if merge.undone_at is not None:
        raise Conflict(f"merge {merge_id} was undone already ({merge.undone_by})")
    later = uow.dedupe.later_merges(merge)
    if later:
        raise Conflict(f"undo merge {later[-1].id} first: it merged one of these customers since")
    found = {cid: uow.customers.get(cid, lock=True) for cid in sorted(ordered(
        merge.survivor_id, merge.loser_id))}  # fmt: skip
    survivor, loser = found[merge.survivor_id], found[merge.loser_id]
    if survivor is None or survivor.deleted_at is not None:
        raise Conflict(f"the survivor, customer {merge.survivor_id}, was deleted since")
    if loser is None or loser.deleted_at != merge.at:
        raise Conflict(f"customer {merge.loser_id} was restored or deleted again since")
    now_fields = _audit.snapshot(survivor)
    edited = [f for f in CHANGED_FIELDS if now_fields.get(f) != merge.survivor_after.get(f)]
    if edited:
        raise Conflict(
            f"the survivor's {', '.join(edited)} changed since the merge; undoing would lose "
            "that edit"
        )
    change = merge.owner_change
    if change and survivor.owner_id != change.get("to"):
        raise Conflict("the survivor's owner changed since the merge")
    missing = uow.dedupe.move_back(
        moved=merge.moved, from_id=merge.loser_id, to_id=merge.survivor_id
    )
    if missing:
        raise Conflict(f"rows the merge moved were moved or deleted since ({', '.join(missing)})")
    before = _audit.snapshot(survivor)
    for name in CHANGED_FIELDS:
        setattr(survivor, name, _revive(name, merge.survivor_before.get(name)))
    _give_back(uow, merge, survivor, actor, now)
    survivor.updated_at = now
    loser.deleted_at = None
    loser.updated_at = now
    assert loser.id is not None
    # The clock the merge stopped on the customer merged away (its rows are back) runs again.
    sla_clocks.run_again(uow, customer_id=loser.id, owner_id=loser.owner_id, cancelled_at=merge.at)
    pair = uow.dedupe.find_pair(*ordered(merge.survivor_id, merge.loser_id))
    if pair is not None:
        pair.status, pair.decided_at, pair.decided_by = PairStatus.open, now, actor.name
        uow.dedupe.update_pair(pair)
    uow.dedupe.mark_undone(merge.id, at=now, by=actor.name)
    merge.undone_at, merge.undone_by = now, actor.name
    _audit.record(uow, actor=actor, action="merge.undo", obj=survivor, now=now, before=before)
    uow.audit.add(
        AuditEntry(
            actor=actor.name, action="customer.merge_undo", object_type="customer_merge",
            object_id=str(merge.id), at=now,
            after={"survivor_id": merge.survivor_id, "loser_id": merge.loser_id},
        )
    )  # fmt: skip
    emit_merged(uow, merge=merge, survivor=survivor, undone=True, now=now)
    return merge


def _give_back(
    uow: UnitOfWork, merge: CustomerMerge, survivor: Any, actor: Actor, now: datetime
) -> None:
    change = merge.owner_change
    if not change:
        return
    reason = f"merge {merge.id} undone"
    previous = change.get("from")
    if previous is None:
        # It waited in a pool, or had never been routed: the public pool, where it is seen.
        pool = merge.survivor_before.get("pool") or PUBLIC_POOL
        release(
            uow, customer=survivor, pool=pool, method=AssignMethod.merge, actor=actor,
            reason=reason, now=now, explanation={"merge_undone": merge.id},
            audit_action="merge.undo_owner",
        )  # fmt: skip
        return
    rep = uow.reps.get(int(previous), lock=True)
    if rep is None:
        raise Conflict(f"the survivor's owner before the merge, rep {previous}, is gone")
    give(
        uow, customer=survivor, rep=rep, method=AssignMethod.merge, actor=actor,
        reason=reason, now=now, explanation={"merge_undone": merge.id},
    )  # fmt: skip
