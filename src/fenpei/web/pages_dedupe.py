"""查重合并: duplicate pairs to review (with their reasons), a side-by-side merge page that
chooses each field's value and states the survivor's owner before the merge, and the
merge history where an admin undoes a merge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.dedupe import MERGE_FIELDS, PairStatus
from fenpei.domain.errors import ValidationFailed
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID
from fenpei.services import scope
from fenpei.services.dedupe import merge as merging
from fenpei.services.dedupe import review, scan, undo
from fenpei.web._admin_forms import posted
from fenpei.web.rendering import render

router = APIRouter(include_in_schema=False)
PAGE = 50
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]
STATUSES = tuple(s.value for s in PairStatus)


@router.get("/dedupe")
def pairs_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    status: Annotated[str, Query(max_length=20)] = "open",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    scanned: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> Response:
    """The pairs found by the last scan, strongest first, with why each is a pair."""
    chosen = PairStatus(status) if status in STATUSES else PairStatus.open
    views, total = review.list_pairs(
        uow=uow, actor=actor, status=chosen, limit=PAGE, offset=(page - 1) * PAGE
    )
    owners = {r.id: r.name for r in uow.reps.all()}
    context: dict[str, Any] = {
        "user": user,
        "active": "dedupe",
        "views": views,
        "total": total,
        "status": chosen.value,
        "statuses": STATUSES,
        "page": page,
        "pages": max(1, -(-total // PAGE)),
        "owners": owners,
        "scanned": scanned,
    }
    return render(request, "dedupe/pairs.html", context)


@router.post("/dedupe/scan")
def run_scan(uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> Response:
    """Scan every customer now (admins) and come back to the list."""
    result = scan.scan_duplicates(uow=uow, actor=actor, now=fenpei.now())
    uow.commit()
    return RedirectResponse(f"/dedupe?scanned={result.found}", status_code=303)


@router.post("/dedupe/pairs/{pair_id}/{decision}")
def decide(
    pair_id: Id,
    decision: Annotated[str, Path(pattern="^(dismiss|reopen)$")],
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> Response:
    """Dismiss a pair (not duplicates) or reopen it."""
    status = PairStatus.dismissed if decision == "dismiss" else PairStatus.open
    review.decide_pair(uow=uow, actor=actor, pair_id=pair_id, status=status, now=fenpei.now())
    uow.commit()
    back = "open" if status is PairStatus.dismissed else "dismissed"
    return RedirectResponse(f"/dedupe?status={back}", status_code=303)


@router.get("/dedupe/merge")
def merge_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    survivor: QueryId | None = None,
    other: QueryId | None = None,
) -> Response:
    """Both customers side by side: a choice per field, and the survivor's owner after."""
    if survivor is None or other is None:  # which two: chosen on the list of pairs
        return RedirectResponse("/dedupe", status_code=303)
    preview = merging.preview_merge(uow=uow, actor=actor, survivor_id=survivor, loser_id=other)
    owners = {r.id: r.name for r in uow.reps.all()}
    custom_keys = sorted({*preview.survivor.custom, *preview.loser.custom})
    context: dict[str, Any] = {
        "user": user,
        "active": "dedupe",
        "p": preview,
        "fields": MERGE_FIELDS,
        "custom_keys": custom_keys,
        "owners": owners,
    }
    return render(request, "dedupe/merge.html", context)


@router.post("/dedupe/merge")
async def merge(request: Request, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> Response:
    """Merge as chosen; the merged-away customer is kept, hidden, and the merge recorded."""
    scope.require_writer(actor, "merge customers")
    values = await posted(request)
    survivor, other = _id(values, "survivor_id"), _id(values, "loser_id")
    choices = {
        key.removeprefix("choice:"): value for key, value in values.items()
        if key.startswith("choice:")
    }  # fmt: skip
    done = merging.merge_customers(
        uow=uow, actor=actor, survivor_id=survivor, loser_id=other, choices=choices,
        now=fenpei.now(),
    )  # fmt: skip
    uow.commit()
    return RedirectResponse(f"/dedupe/merges?done={done.id}", status_code=303)


def _id(values: dict[str, str], name: str) -> int:
    text = values.get(name, "")
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise ValidationFailed.one(name, "must be a customer id")
    return int(text)


@router.get("/dedupe/merges")
def merges_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    done: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    undone: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """The merges, newest first; an admin may undo one."""
    scope.require_writer(actor, "see merges")
    merges = uow.dedupe.merges(limit=100, offset=0)
    names = {}
    for m in merges:
        for cid in (m.survivor_id, m.loser_id):
            c = uow.customers.get(cid)
            names[cid] = c.name if c is not None else f"#{cid}"
    context: dict[str, Any] = {
        "user": user,
        "active": "dedupe",
        "merges": merges,
        "names": names,
        "done": done,
        "undone": undone,
    }
    return render(request, "dedupe/merges.html", context)


@router.post("/dedupe/merges/{merge_id}/undo")
def undo_merge(merge_id: Id, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> Response:
    """Undo a merge (admins); refused with the reason when something since forbids it."""
    undo.undo_merge(uow=uow, actor=actor, merge_id=merge_id, now=fenpei.now())
    uow.commit()
    return RedirectResponse(f"/dedupe/merges?undone={merge_id}", status_code=303)
