"""The pool (公海): its terms, what waits in it, claim (领取) and return (退回)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from fenpei.api.idempotent import IdempotencyKey, create_once
from fenpei.api.pool_schemas import (
    ClaimCreate,
    PoolCustomersRead,
    PoolMove,
    PoolPush,
    PoolPushRead,
    PoolRead,
    PoolTerms,
    ReturnCreate,
)
from fenpei.api.schemas import ErrorRead
from fenpei.domain.pools import MAX_POOL_KEY, Pool
from fenpei.http.deps import AdminActor, CurrentActor, FenpeiDep, UowDep
from fenpei.http.reads import Names, assignment_reads, customer_reads
from fenpei.http.schemas import AssignmentRead
from fenpei.services.pool import claims, listing, moves, pushes, terms

Key = Annotated[str, Path(min_length=1, max_length=MAX_POOL_KEY, description="e.g. `public`.")]
CLAIM_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Not allowed to claim or return for this rep."},
    404: {"model": ErrorRead, "description": "No such customer waiting in a pool you see."},
    409: {
        "model": ErrorRead,
        "description": "`claim_refused` (someone was first, the daily or holding cap, the "
        "cooldown; the message says which) or `capacity_exceeded`.",
    },
}
router = APIRouter(prefix="/pools", tags=["pools"])


def _read(pool: Pool) -> PoolRead:
    return PoolRead.model_validate(pool, from_attributes=True).model_copy(
        update={"configured": pool.id is not None}
    )


@router.get("")
def list_pools(uow: UowDep, actor: CurrentActor) -> list[PoolRead]:
    """The pools you may see: public, your team's, and any other configured one."""
    return [_read(pool) for pool in terms.list_pools(uow=uow, actor=actor)]


@router.put(
    "/{key}",
    responses={
        403: {"model": ErrorRead},
        404: {"model": ErrorRead, "description": "A key no route can name."},
        422: {"model": ErrorRead},
    },
)
def set_terms(
    key: Key, body: PoolTerms, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> PoolRead:
    """Set a pool's terms (admins); fields left out keep their value."""
    fields = body.model_dump(exclude_unset=True)
    pool = terms.set_terms(uow=uow, key=key, fields=fields, actor=actor, now=fenpei.now())
    read = _read(pool)
    uow.commit()
    return read


@router.get("/{key}/customers", responses={404: {"model": ErrorRead}})
def pool_customers(
    key: Key,
    uow: UowDep,
    actor: CurrentActor,
    q: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, le=10**7)] = 0,
    limit: Annotated[int, Query(ge=1, le=listing.MAX_PAGE_SIZE)] = 50,
) -> PoolCustomersRead:
    """Who waits in the pool, longest first; contacts masked where the pool says so."""
    page = listing.pool_customers(uow=uow, key=key, actor=actor, text=q, offset=offset, limit=limit)
    return PoolCustomersRead(
        pool=_read(page.pool),
        total=page.total,
        masked=page.masked,
        customers=customer_reads(page.customers, Names(uow)),
    )


@router.post("/claims", status_code=status.HTTP_201_CREATED, responses=CLAIM_RESPONSES)
def claim(body: ClaimCreate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> AssignmentRead:
    """Claim (领取) a customer waiting in a pool you see, within its terms; an admin or a
    manager pushes one to a rep (`rep_id`) instead."""
    record = claims.claim(
        uow=uow, customer_id=body.customer_id, actor=actor, now=fenpei.now(), rep_id=body.rep_id
    )
    read = assignment_reads([record], Names(uow))[0]
    uow.commit()
    return read


@router.post("/returns", status_code=status.HTTP_201_CREATED, responses=CLAIM_RESPONSES)
def return_customer(
    body: ReturnCreate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> AssignmentRead:
    """Return (退回) one of your customers to the pool with a listed reason; an admin or a
    manager puts any owned customer in their scope there."""
    record = claims.return_to_pool(
        uow=uow, customer_id=body.customer_id, reason=body.reason, note=body.note, actor=actor,
        now=fenpei.now(),
    )  # fmt: skip
    read = assignment_reads([record], Names(uow))[0]
    uow.commit()
    return read


@router.post(
    "/{key}/move",
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {"model": ErrorRead, "description": "Neither an admin nor a manager."},
        404: {"model": ErrorRead, "description": "A pool you may not see."},
        422: {"model": ErrorRead, "description": "`customer_ids` names each one refused."},
    },
)
def move_customers(
    key: Key, body: PoolMove, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> list[AssignmentRead]:
    """Move customers waiting in this pool to `to_pool` (移至公海): all or nothing; an owned
    customer is refused (return it first). Each move is an assignment record."""
    records = moves.move_to_pool(
        uow=uow, actor=actor, customer_ids=body.customer_ids, to_pool=body.to_pool,
        reason=body.reason, now=fenpei.now(), from_pool=key,
    )  # fmt: skip
    reads = assignment_reads(records, Names(uow))
    uow.commit()
    return reads


@router.post(
    "/{key}/push",
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {"model": ErrorRead, "description": "Neither an admin nor a manager."},
        404: {"model": ErrorRead, "description": "A pool or a rep you may not see."},
        409: {"model": ErrorRead, "description": "The same `Idempotency-Key` with another body."},
        422: {
            "model": ErrorRead,
            "description": "`customer_ids` names each one that cannot go, and why (not "
            "waiting here, the rep's capacity, the pool's holding cap); `rep_id` an inactive "
            "rep. Nothing is pushed.",
        },
    },
)
def push_customers(
    key: Key,
    body: PoolPush,
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> PoolPushRead:
    """Push customers waiting in this pool to one rep (分配给…): each through the same push
    as `POST /pools/claims` with `rep_id` (the rep's capacity and the pool's holding cap,
    under the rep's lock); all or nothing. Each push is an assignment record, audited."""

    def create() -> tuple[int, PoolPushRead]:
        records = pushes.push_many(
            uow=uow, actor=actor, customer_ids=body.customer_ids, rep_id=body.rep_id,
            now=fenpei.now(), from_pool=key,
        )  # fmt: skip
        read = PoolPushRead(pushed=assignment_reads(records, Names(uow)))
        return records[0].id or 0, read

    return create_once(
        uow=uow, fenpei=fenpei, response=response, key=idempotency_key,
        kind="pool.push", payload={"pool": key, **body.model_dump(mode="json")}, create=create,
        model=PoolPushRead,
    )  # fmt: skip
