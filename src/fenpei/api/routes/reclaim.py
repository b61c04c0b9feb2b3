"""Reclaim (回收): the dry run, running it now, and key accounts (重点客户)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from fenpei.api.pool_schemas import KeyAccountUpdate, ReclaimPlanItemRead, ReclaimRunRead
from fenpei.api.schemas import ErrorRead
from fenpei.domain.errors import Conflict
from fenpei.domain.pools import MAX_POOL_KEY
from fenpei.domain.reclaim import reason_words
from fenpei.http.deps import AdminActor, CurrentActor, FenpeiDep, UowDep
from fenpei.http.fields import Id
from fenpei.http.reads import Names, customer_read
from fenpei.http.schemas import CustomerRead
from fenpei.jobs.reclaim import run_reclaim
from fenpei.services.pool.key_accounts import set_key_account
from fenpei.services.pool.reclaim_access import plan_for

router = APIRouter(tags=["pools"])
# Marking a key account changes a customer: the customers area (its token scope).
customers_router = APIRouter(tags=["customers"])
PoolKey = Annotated[
    str | None, Query(min_length=1, max_length=MAX_POOL_KEY, description="Only this pool.")
]


@router.get("/pools/reclaim-plan", responses={403: {"model": ErrorRead}, 404: {"model": ErrorRead}})
def reclaim_plan(
    uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep, response: Response, pool: PoolKey = None
) -> list[ReclaimPlanItemRead]:
    """What reclaim would take now and why (a dry run; admins, and managers for the reps
    in their scope), earliest due first, at most 1,000; the `X-Total-Count` header counts
    every customer due."""
    found = plan_for(uow=uow, actor=actor, now=fenpei.now(), pool=pool)
    response.headers["X-Total-Count"] = str(found.total)
    items = found.items
    return [
        ReclaimPlanItemRead(
            customer_id=i.customer_id,
            name=i.name,
            owner_id=i.owner_id,
            pool=i.pool,
            rule=i.rule,
            level=i.level,
            days=i.days,
            since=i.since,
            due=i.due,
            action=i.action,
            reason=reason_words(i.rule, i.days, i.level),
        )
        for i in items
    ]


@router.post(
    "/pools/reclaim",
    tags=["pools"],
    responses={403: {"model": ErrorRead}, 409: {"model": ErrorRead}},
)
def run(uow: UowDep, actor: AdminActor, fenpei: FenpeiDep, pool: PoolKey = None) -> ReclaimRunRead:
    """Warn and reclaim now (admins), as the hourly `pool-reclaim` job does."""
    # The request's transaction (it read the caller) would hold SQLite's write lock while
    # reclaim opens transactions of its own: end it first.
    uow.rollback()
    report = run_reclaim(fenpei, pool=pool, actor=actor)
    if report is None:
        raise Conflict("another process is reclaiming now; try again in a minute")
    return ReclaimRunRead(
        warned=report.warned,
        reclaimed=report.reclaimed,
        rerouted=report.rerouted,
        summary=report.summary(),
    )


@customers_router.put(
    "/customers/{customer_id}/key-account",
    responses={403: {"model": ErrorRead}, 404: {"model": ErrorRead}, 409: {"model": ErrorRead}},
)
def key_account(
    customer_id: Id, body: KeyAccountUpdate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> CustomerRead:
    """Mark or unmark a key account (重点客户): the owning rep, their manager or an admin;
    marking is refused above the pool's `max_key_accounts` (409 `claim_refused`)."""
    customer = set_key_account(
        uow=uow, customer_id=customer_id, key_account=body.key_account, actor=actor,
        now=fenpei.now(),
    )  # fmt: skip
    read = customer_read(customer, Names(uow))
    uow.commit()
    return read
