"""Lead intake (线索): a new customer is stored and routed in one transaction.

Callers log in with a session for now, as an admin or a manager; bearer tokens for
machine callers (web forms, ad platforms) come in a later issue.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from fenpei.api.deps import CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.api.reads import Names
from fenpei.api.routes.rules import decision_read
from fenpei.api.schemas import ErrorRead, LeadCreate, LeadCustomerRead, LeadRead
from fenpei.domain.errors import PermissionDenied
from fenpei.domain.users import Actor, Role
from fenpei.services import intake

FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Logged in, but neither an admin nor a manager."}
}
router = APIRouter(prefix="/leads", tags=["leads"])
_MAY_SUBMIT = (Role.admin, Role.manager)


def require_intake(user: CurrentUser) -> Actor:
    """An admin or a manager, as the services' actor; reps and auditors may not add leads."""
    if user.role not in _MAY_SUBMIT:
        raise PermissionDenied("only an admin or a manager may submit leads")
    return actor_of(user)


IntakeActor = Annotated[Actor, Depends(require_intake)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=FORBIDDEN)
def create_lead(body: LeadCreate, uow: UowDep, actor: IntakeActor, fenpei: FenpeiDep) -> LeadRead:
    """Store a lead and route it at once; bad fields are named and nothing is stored."""
    customer, decision = intake.create_and_route(
        uow=uow,
        rulebook=fenpei.rulebook,
        fields=body.model_extra or {},
        actor=actor,
        now=fenpei.now(),
        rng=fenpei.rng(),
        route=body.route,
    )
    uow.commit()
    read = LeadCustomerRead.model_validate(customer)
    read.owner_name = Names(uow).rep(customer.owner_id)
    return LeadRead(customer=read, decision=decision_read(decision) if decision else None)
