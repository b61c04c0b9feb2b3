"""The bulk duplicate scan: every live customer (or some) checked for duplicate pairs,
stored as pairs to review. Re-runnable: a dismissed or merged pair keeps its decision; an
open pair gets its new score; an open pair no longer found is dropped (full scans only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fenpei.domain.audit import AuditEntry
from fenpei.domain.dedupe import DuplicatePair, PairStatus
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.users import Actor
from fenpei.engine.dedupe import MatchSettings, find_pairs
from fenpei.services import scope
from fenpei.services.ports import UnitOfWork

MAX_SCAN_IDS = 10_000


@dataclass(frozen=True)
class ScanResult:
    customers: int
    found: int
    new: int
    updated: int
    kept: int  # found again, already dismissed or merged: left as decided
    dropped: int  # open pairs not found any more


def scan_duplicates(
    *,
    uow: UnitOfWork,
    actor: Actor,
    now: datetime,
    customer_ids: Sequence[int] | None = None,
    settings: MatchSettings | None = None,
) -> ScanResult:
    """Find duplicate pairs among all live customers (or ``customer_ids``) and store them."""
    scope.require_admin(actor, "scan for duplicates")
    if customer_ids is not None and len(customer_ids) > MAX_SCAN_IDS:
        raise ValidationFailed.one("customer_ids", f"at most {MAX_SCAN_IDS} ids at once")
    keyed = uow.dedupe.keyed_customers(ids=customer_ids)
    found = find_pairs(keyed, settings)
    existing = {(p.low_id, p.high_id): p for p in uow.dedupe.all_pairs()}
    fresh: list[DuplicatePair] = []
    updated = kept = 0
    for f in found:
        pair = existing.pop((f.low_id, f.high_id), None)
        if pair is None:
            fresh.append(
                DuplicatePair(
                    low_id=f.low_id, high_id=f.high_id, score=f.score, reasons=f.reasons,
                    similarity=f.similarity, found_at=now,
                )
            )  # fmt: skip
        elif pair.status is PairStatus.open:
            pair.score, pair.reasons, pair.similarity = f.score, f.reasons, f.similarity
            uow.dedupe.update_pair(pair)
            updated += 1
        else:
            kept += 1
    uow.dedupe.add_pairs(fresh)
    dropped = 0
    if customer_ids is None:
        stale = [p.id for p in existing.values() if p.status is PairStatus.open and p.id]
        uow.dedupe.delete_pairs(stale)
        dropped = len(stale)
    result = ScanResult(len(keyed), len(found), len(fresh), updated, kept, dropped)
    uow.audit.add(
        AuditEntry(
            actor=actor.name, action="dedupe.scan", object_type="duplicate_pairs",
            object_id="all" if customer_ids is None else f"{len(customer_ids)} ids", at=now,
            after={"customers": result.customers, "found": result.found, "new": result.new},
        )
    )  # fmt: skip
    return result
