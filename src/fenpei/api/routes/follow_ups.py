"""A customer's follow-ups (跟进记录), its stage, and its timeline; under the customers area
(tokens need ``customers:read`` / ``customers:write``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status

from fenpei.api.follow_up_schemas import (
    FollowUpCreate,
    FollowUpRead,
    FollowUpUpdate,
    StageChangeRead,
    StageUpdate,
    TimelineItemRead,
    TimelinePage,
)
from fenpei.api.routes.customers import CustomerId
from fenpei.api.schemas import ErrorRead
from fenpei.domain.assignments import Assignment
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.follow_ups import FollowUp, StageChange
from fenpei.http.deps import CurrentActor, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID
from fenpei.http.reads import Names, assignment_reads
from fenpei.services import routing_reroute
from fenpei.services.follow_ups import corrections, next_step, records
from fenpei.services.follow_ups.timeline import MAX_OFFSET, MAX_PAGE_SIZE, timeline

router = APIRouter(prefix="/customers", tags=["customers"])
FollowUpId = Annotated[int, Path(ge=1, le=MAX_ID, description="The follow-up's id.")]
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "An auditor, or a token without customers:write."},
    404: {"model": ErrorRead, "description": "No such customer among those you may work."},
    422: {"model": ErrorRead, "description": "A bad field, named."},
}


def _aware(value: datetime | None, fenpei: FenpeiDep, field: str) -> datetime | None:
    """A time without a zone is the server's local time; out of range is the field's error."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=fenpei.settings.zone)
    try:
        return aware.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationFailed.one(field, "is out of the supported date range") from None


@router.get("/{customer_id}/follow-ups", responses={404: {"model": ErrorRead}})
def list_follow_ups(
    customer_id: CustomerId,
    uow: UowDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=records.MAX_LISTED)] = 100,
) -> list[FollowUpRead]:
    """The customer's follow-ups, newest first."""
    found = records.list_follow_ups(uow=uow, customer_id=customer_id, actor=actor, limit=limit)
    return [FollowUpRead.model_validate(f) for f in found]


@router.post(
    "/{customer_id}/follow-ups", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES
)
def create_follow_up(
    customer_id: CustomerId,
    body: FollowUpCreate,
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> FollowUpRead:
    """Log a follow-up (the owner, or a manager or admin over the customer): resets the
    reclaim clock, plans the next one, makes a new customer contacted; `stage` moves it on."""
    now = fenpei.now()
    at, next_at = _aware(body.at, fenpei, "at") or now, _aware(body.next_at, fenpei, "next_at")
    # A follow-up may move the customer on (a stage): that can fire a re-routing trigger.
    (follow_up, task), _ = routing_reroute.change_and_reroute(
        uow=uow, rulebook=fenpei.rulebook, customer_id=customer_id, actor=actor, now=now,
        rng=fenpei.rng(),
        change=lambda: next_step.record_with_next_step(
            uow=uow, customer_id=customer_id, actor=actor, kind=body.kind, at=at,
            content=body.content, outcome=body.outcome, next_at=next_at, stage=body.stage,
            reason=body.reason, next_step=body.next_step, now=now,
        ),
    )  # fmt: skip
    uow.commit()
    read = FollowUpRead.model_validate(follow_up)
    return read.model_copy(update={"next_task_id": task.id if task is not None else None})


@router.patch(
    "/{customer_id}/follow-ups/{follow_up_id}",
    responses={
        **WRITE_RESPONSES,
        403: {"model": ErrorRead, "description": "Not its author, or past a day and not an admin."},
        404: {"model": ErrorRead, "description": "No such follow-up of a customer you may work."},
    },
)
def correct_follow_up(
    customer_id: CustomerId,
    follow_up_id: FollowUpId,
    body: FollowUpUpdate,
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> FollowUpRead:
    """Correct a follow-up (更正): its author within a day, an admin any time. Only the
    fields given change; `next_at` null clears it. When it happened cannot change."""
    changes: dict[str, object] = body.model_dump(exclude_unset=True)
    if "next_at" in changes:
        changes["next_at"] = _aware(body.next_at, fenpei, "next_at")
    corrected = corrections.correct_follow_up(
        uow=uow, customer_id=customer_id, follow_up_id=follow_up_id, actor=actor,
        changes=changes, now=fenpei.now(),
    )  # fmt: skip
    uow.commit()
    return FollowUpRead.model_validate(corrected)


@router.post("/{customer_id}/stage", responses=WRITE_RESPONSES)
def change_stage(
    customer_id: CustomerId, body: StageUpdate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> StageChangeRead:
    """Move the customer to another stage; lost needs a reason. Won / lost close it."""
    change, _ = routing_reroute.change_stage_and_reroute(
        uow=uow, rulebook=fenpei.rulebook, customer_id=customer_id, to=body.stage,
        reason=body.reason, actor=actor, now=fenpei.now(), rng=fenpei.rng(),
    )  # fmt: skip
    uow.commit()
    return StageChangeRead.model_validate(change)


@router.get("/{customer_id}/timeline", responses={404: {"model": ErrorRead}})
def customer_timeline(
    customer_id: CustomerId,
    uow: UowDep,
    actor: CurrentActor,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> TimelinePage:
    """Assignments, follow-ups and stage changes together, newest first, one page."""
    page = timeline(uow=uow, customer_id=customer_id, actor=actor, offset=offset, limit=limit)
    names = Names(uow)
    items = []
    for item in page.items:
        read = TimelineItemRead(kind=item.kind, at=item.at)
        if isinstance(item.record, Assignment):
            read.assignment = assignment_reads([item.record], names)[0]
        elif isinstance(item.record, FollowUp):
            read.follow_up = FollowUpRead.model_validate(item.record)
        elif isinstance(item.record, StageChange):
            read.stage_change = StageChangeRead.model_validate(item.record)
        items.append(read)
    return TimelinePage(items=items, total=page.total, offset=offset, limit=limit)
