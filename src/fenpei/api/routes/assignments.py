"""Manual assignments (手动分配): one customer to a rep, or many spread over several reps."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from fenpei.api.idempotent import IdempotencyKey
from fenpei.api.schemas import AssignmentCreate, BulkAssignmentCreate, ErrorRead
from fenpei.domain.assignments import Assignment
from fenpei.domain.errors import Conflict
from fenpei.http.deps import FenpeiDep, UowDep, WriterActor
from fenpei.http.reads import Names, assignment_reads
from fenpei.http.schemas import AssignmentRead
from fenpei.services import assignments
from fenpei.services.ports import UnitOfWork

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "A retry with an `Idempotency-Key` already used: the first record."},
    403: {"model": ErrorRead, "description": "Not an admin or manager, or a non-admin override."},
    404: {"model": ErrorRead, "description": "No such customer or rep."},
    409: {"model": ErrorRead, "description": "Over capacity, already owned, or a reused key."},
}
router = APIRouter(prefix="/assignments", tags=["assignments"])


def _replayed(uow: UnitOfWork, key: str, body: AssignmentCreate) -> Assignment | None:
    return assignments.replayed_assignment(
        uow=uow, key=key, customer_id=body.customer_id, rep_id=body.rep_id
    )


def _read(uow: UnitOfWork, record: Assignment) -> AssignmentRead:
    return assignment_reads([record], Names(uow))[0]


@router.post("", status_code=status.HTTP_201_CREATED, responses=RESPONSES)
def create_assignment(
    body: AssignmentCreate,
    uow: UowDep,
    actor: WriterActor,
    fenpei: FenpeiDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> AssignmentRead:
    """Give a customer to a rep (a transfer if owned: then a reason is due), within capacity."""
    try:
        # The service replays a used key itself and says so; checking here as well would
        # race with a concurrent request committing in between.
        record, replayed = assignments.assign_once(
            uow=uow,
            customer_id=body.customer_id,
            rep_id=body.rep_id,
            actor=actor,
            now=fenpei.now(),
            reason=body.reason,
            override_capacity=body.override_capacity,
            idempotency_key=idempotency_key,
        )
        uow.commit()
    except Conflict:
        if idempotency_key is None:
            raise
        # A concurrent request with the same key won the race: it either already owns the
        # customer (we waited on its row lock) or holds the key (unique on commit).
        uow.rollback()
        done = _replayed(uow, idempotency_key, body)
        if done is None:
            raise
        response.status_code = status.HTTP_200_OK
        return _read(uow, done)
    if replayed:
        response.status_code = status.HTTP_200_OK
    return _read(uow, record)


@router.post("/bulk", status_code=status.HTTP_201_CREATED, responses=RESPONSES)
def bulk_assign(
    body: BulkAssignmentCreate, uow: UowDep, actor: WriterActor, fenpei: FenpeiDep
) -> list[AssignmentRead]:
    """Give the customers to one rep or spread them evenly over several; all or nothing."""
    records = assignments.bulk_assign(
        uow=uow,
        customer_ids=body.customer_ids,
        rep_ids=body.rep_ids,
        actor=actor,
        now=fenpei.now(),
        reason=body.reason,
        override_capacity=body.override_capacity,
    )
    uow.commit()
    return assignment_reads(records, Names(uow))
