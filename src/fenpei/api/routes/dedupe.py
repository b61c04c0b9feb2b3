"""Duplicates in bulk and merge (查重合并): scan, review pairs, merge, undo a merge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from fenpei.api.dedupe_schemas import (
    MergeCreate,
    MergePreviewRead,
    MergeRead,
    PairPage,
    PairRead,
    ScanRead,
)
from fenpei.api.schemas import ErrorRead
from fenpei.domain.dedupe import PairStatus
from fenpei.domain.errors import NotFound
from fenpei.http.deps import CurrentActor, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID, Id
from fenpei.services import scope
from fenpei.services.dedupe import merge as merging
from fenpei.services.dedupe import review, scan, undo

# Tagged "customers": a token that may change customers may review and merge them.
router = APIRouter(prefix="/dedupe", tags=["customers"])
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Not allowed (scan and undo: admins)."},
    404: {"model": ErrorRead},
    409: {"model": ErrorRead, "description": "Merged already, or the undo is unsafe (why)."},
}
PairId = Annotated[int, Path(ge=1, le=MAX_ID, description="The pair's id.")]
MergeId = Annotated[int, Path(ge=1, le=MAX_ID, description="The merge's id.")]


@router.post("/scan", responses=ERRORS)
def run_scan(uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> ScanRead:
    """Check every customer for duplicate pairs and store them for review (admins)."""
    result = scan.scan_duplicates(uow=uow, actor=actor, now=fenpei.now())
    uow.commit()
    return ScanRead.of(result)


@router.get("/pairs", responses=ERRORS)
def list_pairs(
    uow: UowDep,
    actor: CurrentActor,
    status: PairStatus | None = PairStatus.open,
    limit: Annotated[int, Query(ge=1, le=review.MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=review.MAX_OFFSET)] = 0,
) -> PairPage:
    """Pairs to review, strongest first, with their reasons (both customers in scope)."""
    views, total = review.list_pairs(
        uow=uow, actor=actor, status=status, limit=limit, offset=offset
    )
    return PairPage(items=[PairRead.of(v) for v in views], total=total)


def _decide(
    uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep, pair_id: int, status: PairStatus
) -> PairRead:
    review.decide_pair(uow=uow, actor=actor, pair_id=pair_id, status=status, now=fenpei.now())
    uow.commit()
    pair = uow.dedupe.get_pair(pair_id)
    low = uow.customers.get(pair.low_id) if pair else None
    high = uow.customers.get(pair.high_id) if pair else None
    if pair is None or low is None or high is None:
        raise NotFound("pair", pair_id)
    return PairRead.of(review.PairView(pair, low, high))


@router.post("/pairs/{pair_id}/dismiss", responses=ERRORS)
def dismiss_pair(pair_id: PairId, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> PairRead:
    """Not duplicates: later scans leave this pair dismissed."""
    return _decide(uow, actor, fenpei, pair_id, PairStatus.dismissed)


@router.post("/pairs/{pair_id}/reopen", responses=ERRORS)
def reopen_pair(pair_id: PairId, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> PairRead:
    """Put a dismissed pair back to review."""
    return _decide(uow, actor, fenpei, pair_id, PairStatus.open)


@router.get("/preview", responses=ERRORS)
def preview(
    uow: UowDep,
    actor: CurrentActor,
    survivor_id: Annotated[Id, Query(description="The customer that stays.")],
    loser_id: Annotated[Id, Query(description="The customer merged into it.")],
) -> MergePreviewRead:
    """Both customers' fields side by side, the default choices, and the survivor's owner
    after the merge by the rule."""
    return MergePreviewRead.of(
        merging.preview_merge(uow=uow, actor=actor, survivor_id=survivor_id, loser_id=loser_id)
    )


@router.post("/merges", responses=ERRORS, status_code=201)
def merge(body: MergeCreate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> MergeRead:
    """Merge ``loser_id`` into ``survivor_id`` (who may edit both)."""
    done = merging.merge_customers(
        uow=uow, actor=actor, survivor_id=body.survivor_id, loser_id=body.loser_id,
        choices=dict(body.choices), now=fenpei.now(),
    )  # fmt: skip
    uow.commit()
    return MergeRead.of(done)


@router.get("/merges", responses=ERRORS)
def list_merges(
    uow: UowDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=review.MAX_OFFSET)] = 0,
) -> list[MergeRead]:
    """Merges, newest first (admins)."""
    scope.require_admin(actor, "see the merge history")
    return [MergeRead.of(m) for m in uow.dedupe.merges(limit=limit, offset=offset)]


@router.post("/merges/{merge_id}/undo", responses=ERRORS)
def undo_merge(merge_id: MergeId, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> MergeRead:
    """Undo a merge (admins): refused with the reason if something since makes it unsafe."""
    done = undo.undo_merge(uow=uow, actor=actor, merge_id=merge_id, now=fenpei.now())
    uow.commit()
    return MergeRead.of(done)
