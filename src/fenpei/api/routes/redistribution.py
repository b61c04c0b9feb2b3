"""Redistributing a pool (公海再分配) by batch optimal: the dry run, then the real one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from fenpei.api.optimal_schemas import (
    RedistributionCreate,
    RedistributionDecision,
    RedistributionLine,
    RedistributionRead,
)
from fenpei.api.schemas import ErrorRead
from fenpei.domain.pools import MAX_POOL_KEY
from fenpei.http.deps import CurrentActor, FenpeiDep, UowDep
from fenpei.services.routing_optimal import Redistribution, redistribute_pool

router = APIRouter(tags=["pools"])
Key = Annotated[str, Path(min_length=1, max_length=MAX_POOL_KEY)]


def redistribution_read(done: Redistribution) -> RedistributionRead:
    """The service's answer as the API shows it."""
    return RedistributionRead(
        pool=done.pool,
        rule_id=done.rule_id,
        rule_name=done.rule_name,
        dry_run=done.dry_run,
        considered=done.considered,
        staying=done.staying,
        expected_wins=done.expected_wins,
        reps=[
            RedistributionLine(rep_id=rep_id, rep_name=done.rep_names[rep_id], customers=n)
            for rep_id, n in done.placed.items()
        ],
        decisions=[
            RedistributionDecision(
                customer_id=customer_id,
                outcome=d.outcome.value,
                rep_id=d.rep_id,
                reason=d.reason,
                reason_code=d.reason_code,
                reason_params=d.reason_params,
            )
            for customer_id, d in done.decisions
        ],
    )


@router.post(
    "/pools/{key}/redistribute",
    responses={
        403: {"model": ErrorRead},
        404: {"model": ErrorRead},
        409: {"model": ErrorRead},
        422: {"model": ErrorRead},
    },
)
def redistribute(
    key: Key, body: RedistributionCreate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> RedistributionRead:
    """Solve every customer waiting in the pool in one batch under a rule (admins and
    managers): as many placed as the reps' room allows, then the most expected wins.
    `dry_run` (the default) says what would happen and changes nothing."""
    done = redistribute_pool(
        uow=uow,
        rulebook=fenpei.rulebook,
        pool=key,
        rule_id=body.rule_id,
        actor=actor,
        now=fenpei.now(),
        rng=fenpei.rng(),
        dry_run=body.dry_run,
    )
    read = redistribution_read(done)
    if body.dry_run:
        uow.rollback()
    else:
        uow.commit()
    return read
