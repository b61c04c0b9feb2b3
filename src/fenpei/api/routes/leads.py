"""Lead intake (线索): a new customer is stored and routed in one transaction.

Callers are admins or managers, with a session or an API token (``leads:write``); senders
that can only sign use ``POST /api/v1/webhooks/leads``, which answers through ``submit_lead``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from fenpei.api.idempotent import IdempotencyKey, create_once
from fenpei.api.routes.rules import decision_read
from fenpei.api.schemas import ErrorRead, LeadCreate, LeadCustomerRead, LeadRead
from fenpei.bootstrap import Fenpei
from fenpei.domain.customers import Customer
from fenpei.domain.users import Actor
from fenpei.engine.model import Decision
from fenpei.http.deps import FenpeiDep, UowDep, WriterActor
from fenpei.services import intake
from fenpei.services.ports import UnitOfWork

FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Logged in, but neither an admin nor a manager."}
}
router = APIRouter(prefix="/leads", tags=["leads"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=FORBIDDEN)
def create_lead(
    body: LeadCreate,
    uow: UowDep,
    actor: WriterActor,
    fenpei: FenpeiDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> LeadRead:
    """Store a lead and route it at once; bad fields are named and nothing is stored."""
    return submit_lead(
        body=body,
        uow=uow,
        actor=actor,
        fenpei=fenpei,
        response=response,
        idempotency_key=idempotency_key,
    )


def submit_lead(
    *,
    body: LeadCreate,
    uow: UnitOfWork,
    actor: Actor,
    fenpei: Fenpei,
    response: Response,
    idempotency_key: str | None = None,
) -> LeadRead:
    """Store and route a lead, commit, and answer with the customer and the decision
    (once per ``idempotency_key``: a retry gets the first answer)."""

    def create() -> tuple[int, LeadRead]:
        customer, decision = intake.create_and_route(
            uow=uow,
            rulebook=fenpei.rulebook,
            fields=body.model_extra or {},
            actor=actor,
            now=fenpei.now(),
            rng=fenpei.rng(),
            route=body.route,
        )
        assert customer.id is not None
        read = LeadCustomerRead.model_validate(customer)
        read.owner_name = _owner_name(uow, customer, decision)
        decided = decision_read(decision) if decision else None
        return customer.id, LeadRead(customer=read, decision=decided)

    return create_once(
        uow=uow,
        fenpei=fenpei,
        response=response,
        key=idempotency_key,
        kind="lead",
        payload=body.model_dump(mode="json"),
        create=create,
        model=LeadRead,
    )


def _owner_name(uow: UnitOfWork, customer: Customer, decision: Decision | None) -> str | None:
    """The new owner's name as the decision that chose them names them (from the kept
    configuration, checked by stamp in this transaction): no query for it."""
    if customer.owner_id is None:
        return None
    if decision is not None:
        for candidate in decision.candidates:
            if candidate.rep_id == customer.owner_id:
                return candidate.rep_name
    rep = uow.reps.get(customer.owner_id)
    return rep.name if rep is not None else None
