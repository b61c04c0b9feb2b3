"""Merging two customers (合并): the survivor takes the chosen field values and the other's
history; the other is kept, marked deleted, and named in the merge record.

Who may: an admin or a manager who may edit both customers (both in their data scope).
Each field's value comes from the survivor unless chosen from the other; a field the
survivor leaves empty takes the other's value unless the survivor's is chosen. Every
field's choice is recorded. Tags are united; custom fields too, the survivor's value
winning for a key both have unless ``custom.<key>`` chooses the other's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fenpei.domain.assignments import AssignMethod
from fenpei.domain.audit import AuditEntry
from fenpei.domain.customers import Customer
from fenpei.domain.dedupe import (
    MERGE_FIELDS,
    CustomerMerge,
    DuplicatePair,
    OwnerOutcome,
    PairStatus,
    ordered,
    survivor_owner,
)
from fenpei.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from fenpei.domain.events import EventType, new_event
from fenpei.domain.users import Actor
from fenpei.services import _audit, scope
from fenpei.services.assignments import give
from fenpei.services.ports import UnitOfWork
from fenpei.services.scoring.rescore import rescore
from fenpei.services.sla import clocks as sla_clocks

SIDES = ("survivor", "loser")
# The survivor's fields a merge may change, and so an undo puts back.
CHANGED_FIELDS = (*MERGE_FIELDS, "tags", "custom", "last_follow_up_at", "next_follow_up_at")


@dataclass(frozen=True)
class MergePreview:
    survivor: Customer
    loser: Customer
    owner: OwnerOutcome
    defaults: dict[str, str]  # field -> the side taken unless chosen otherwise


def _locked_pair(
    uow: UnitOfWork, actor: Actor, survivor_id: int, loser_id: int, *, lock: bool
) -> tuple[Customer, Customer]:
    if survivor_id == loser_id:
        raise ValidationFailed.one("loser_id", "a customer cannot be merged with itself")
    visible = scope.data_scope(uow=uow, actor=actor)
    found: dict[int, Customer] = {}
    for cid in sorted((survivor_id, loser_id)):  # one lock order: no deadlock
        customer = uow.customers.get(cid, lock=lock)
        if customer is not None and customer.deleted_at and visible.covers_customer(customer):
            raise Conflict(f"customer {cid} was merged or deleted already")
        found[cid] = scope.visible_customer(visible, customer, cid)
    return found[survivor_id], found[loser_id]


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


def default_choices(survivor: Customer, loser: Customer) -> dict[str, str]:
    """Each field's side unless chosen: the survivor's, or the other's to fill a gap."""
    choices = {}
    for name in MERGE_FIELDS:
        gap = _empty(getattr(survivor, name)) and not _empty(getattr(loser, name))
        choices[name] = "loser" if gap else "survivor"
    for key in loser.custom:
        choices[f"custom.{key}"] = "survivor" if key in survivor.custom else "loser"
    return choices


def preview_merge(
    *, uow: UnitOfWork, actor: Actor, survivor_id: int, loser_id: int
) -> MergePreview:
    """The two customers side by side, the default choices and the survivor's owner."""
    scope.require_writer(actor, "merge customers")
    survivor, loser = _locked_pair(uow, actor, survivor_id, loser_id, lock=False)
    return MergePreview(
        survivor, loser, survivor_owner(survivor, loser), default_choices(survivor, loser)
    )


def _checked_choices(
    choices: Mapping[str, str], survivor: Customer, loser: Customer
) -> dict[str, str]:
    errors: list[FieldError] = []
    merged = default_choices(survivor, loser)
    for name, side in choices.items():
        custom = name.startswith("custom.") and name[len("custom.") :] in {
            *survivor.custom, *loser.custom,
        }  # fmt: skip
        if name not in MERGE_FIELDS and not custom:
            errors.append(FieldError(f"choices.{name}"[:200], "not a field a merge can choose"))
        elif side not in SIDES:
            errors.append(FieldError(f"choices.{name}", "must be 'survivor' or 'loser'"))
        else:
            merged[name] = side
    if errors:
        raise ValidationFailed(errors)
    return merged


def _apply(survivor: Customer, loser: Customer, choices: dict[str, str]) -> None:
    for name in MERGE_FIELDS:
        if choices[name] == "loser":
            setattr(survivor, name, getattr(loser, name))
    custom = {**loser.custom, **survivor.custom}
    for key in custom:
        if choices.get(f"custom.{key}") == "loser" and key in loser.custom:
            custom[key] = loser.custom[key]
    survivor.custom = custom
    survivor.tags = list(dict.fromkeys([*survivor.tags, *loser.tags]))
    follow_ups = [d for d in (survivor.last_follow_up_at, loser.last_follow_up_at) if d]
    survivor.last_follow_up_at = max(follow_ups, default=None)
    survivor.next_follow_up_at = survivor.next_follow_up_at or loser.next_follow_up_at


def merge_customers(
    *,
    uow: UnitOfWork,
    actor: Actor,
    survivor_id: int,
    loser_id: int,
    choices: Mapping[str, str],
    now: datetime,
) -> CustomerMerge:
    """Merge ``loser_id`` into ``survivor_id``: fields as chosen, history carried over,
    the owner by the rule (domain/dedupe.py) through ``give()``, all recorded for undo."""
    scope.require_writer(actor, "merge customers")
    survivor, loser = _locked_pair(uow, actor, survivor_id, loser_id, lock=True)
    assert survivor.id is not None and loser.id is not None
    chosen = _checked_choices(choices, survivor, loser)
    survivor_before = _audit.snapshot(survivor)
    loser_snapshot = _audit.snapshot(loser)
    outcome = survivor_owner(survivor, loser)
    _apply(survivor, loser, chosen)
    # The customer merged away leaves its owner: its open SLA clock stops here, or it would
    # move to the survivor and run beside the clock of the survivor's owner.
    sla_clocks.cancel_open(uow, customer_id=loser.id, now=now)
    moved = uow.dedupe.move_rows(from_id=loser.id, to_id=survivor.id)
    owner_change: dict[str, Any] = {}
    if outcome.changes and outcome.rep_id is not None:
        rep = uow.reps.get(outcome.rep_id, lock=True)
        if rep is None:
            raise NotFound("rep", outcome.rep_id)
        owner_change = {"from": survivor.owner_id, "to": rep.id, "rule": outcome.reason}
        give(
            uow, customer=survivor, rep=rep, method=AssignMethod.merge, actor=actor,
            reason=f"merged with customer {loser.id}", now=now,
            explanation={"merge": {"loser_id": loser.id, "rule": outcome.reason}},
        )  # fmt: skip
    loser.deleted_at = loser.updated_at = now
    survivor.updated_at = now
    rescore(uow=uow, customers=[survivor], now=now)
    pair = _mark_pair(uow, survivor.id, loser.id, actor, now)
    merge = uow.dedupe.add_merge(
        CustomerMerge(
            survivor_id=survivor.id, loser_id=loser.id, actor=actor.name, at=now,
            choices=chosen, survivor_before=survivor_before, loser_snapshot=loser_snapshot,
            survivor_after=_audit.snapshot(survivor), moved=moved, owner_change=owner_change,
            pair_id=pair.id,
        )
    )  # fmt: skip
    _audit.record(uow, actor=actor, action="merge", obj=survivor, now=now, before=survivor_before)
    uow.audit.add(
        AuditEntry(
            actor=actor.name, action="customer.merge", object_type="customer_merge",
            object_id=str(merge.id), at=now, before={"loser": loser_snapshot},
            after={"survivor_id": survivor.id, "loser_id": loser.id, "choices": chosen,
                   "moved": {k: len(v) for k, v in moved.items()}, "owner": owner_change},
        )
    )  # fmt: skip
    emit_merged(uow, merge=merge, survivor=survivor, undone=False, now=now)
    return merge


def _mark_pair(uow: UnitOfWork, a: int, b: int, actor: Actor, now: datetime) -> DuplicatePair:
    low, high = ordered(a, b)
    pair = uow.dedupe.find_pair(low, high)
    if pair is None:  # merged without a scan having found them: recorded all the same
        pair = DuplicatePair(
            low_id=low, high_id=high, score=100.0, reasons=["by_hand"], found_at=now,
            status=PairStatus.merged, decided_at=now, decided_by=actor.name,
        )  # fmt: skip
        uow.dedupe.add_pairs([pair])
        return uow.dedupe.find_pair(low, high) or pair
    pair.status, pair.decided_at, pair.decided_by = PairStatus.merged, now, actor.name
    uow.dedupe.update_pair(pair)
    return pair


def emit_merged(
    uow: UnitOfWork, *, merge: CustomerMerge, survivor: Customer, undone: bool, now: datetime
) -> None:
    """The merge (or its undo) as an event, to the survivor's owner and subscribers."""
    uow.outbox.add(
        new_event(
            EventType.merged,
            {
                "merge_id": merge.id, "customer_id": survivor.id,
                "customer_name": survivor.name, "loser_id": merge.loser_id,
                "to_rep_id": survivor.owner_id, "actor": merge.actor if not undone else None,
                "undone": undone, "at": now.isoformat(),
            },
            now=now,
        )
    )  # fmt: skip
