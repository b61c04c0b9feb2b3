"""Customers: list with filters and pages, one customer, its history; create, edit, delete."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.responses import JSONResponse

from fenpei.api.duplicate_schemas import DuplicateConflictRead
from fenpei.api.idempotent import IdempotencyKey, create_once
from fenpei.api.routes.rules import decision_read
from fenpei.api.schemas import (
    CustomerCreate,
    CustomerCreated,
    CustomerFilters,
    CustomerListItem,
    CustomerPage,
    CustomerUpdate,
    DueItemRead,
    ErrorRead,
)
from fenpei.domain.duplicates import DuplicateFound
from fenpei.domain.errors import ValidationFailed
from fenpei.http.deps import CurrentActor, FenpeiDep, UowDep, WriterActor
from fenpei.http.fields import MAX_ID
from fenpei.http.reads import Names, assignment_reads, customer_read, customer_reads
from fenpei.http.schemas import AssignmentRead, CustomerRead
from fenpei.services import assignments, customers, due, duplicates, intake, routing_reroute
from fenpei.services.ports import CustomerQuery

router = APIRouter(prefix="/customers", tags=["customers"])
CustomerId = Annotated[int, Path(ge=1, le=MAX_ID, description="The customer's id.")]
FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Logged in, but neither an admin nor a manager."}
}


def _aware(value: datetime | None, zone: ZoneInfo, field: str) -> datetime | None:
    """A zone-less time means local time in the configured zone; out-of-range is an error."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    try:
        return aware.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationFailed.one(field, "is out of the supported date range") from None


def customer_query(filters: CustomerFilters, zone: ZoneInfo) -> CustomerQuery:
    """Translate the query parameters into the service's query, rejecting contradictions."""
    created_from = _aware(filters.created_from, zone, "created_from")
    created_to = _aware(filters.created_to, zone, "created_to")
    if created_from and created_to and created_to <= created_from:
        raise ValidationFailed.one("created_to", "must be after created_from")
    return CustomerQuery(
        text=filters.q,
        owner_id=filters.owner_id,
        unowned=filters.unowned,
        team_id=filters.team_id,
        stage=filters.stage,
        level=filters.level,
        region=filters.region,
        industry=filters.industry,
        source=filters.source,
        created_from=created_from,
        created_to=created_to,
        sort=filters.sort,
        offset=filters.offset,
        limit=filters.limit,
    )


@router.get("")
def list_customers(
    filters: Annotated[CustomerFilters, Query()],
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> CustomerPage:
    """One page of the customers you may see (a rep: their own; a manager: their teams')
    matching the filters, with the total on all pages."""
    terms = due.due_terms(uow=uow)
    query = replace(customer_query(filters, fenpei.settings.zone), due_terms=terms)
    found, total = customers.list_customers(uow=uow, query=query, actor=actor)
    dues = due.dues_of(uow=uow, customers=found, terms=terms)
    now = fenpei.now()
    items = [
        CustomerListItem(
            **read.model_dump(),
            due=[DueItemRead(kind=d.kind, at=d.at, overdue=d.overdue(now)) for d in dues[read.id]],
        )
        for read in customer_reads(found, Names(uow))
    ]
    return CustomerPage(items=items, total=total, offset=query.offset, limit=query.limit)


@router.get("/{customer_id}")
def get_customer(customer_id: CustomerId, uow: UowDep, actor: CurrentActor) -> CustomerRead:
    """One customer, with its owner's and team's names (404 outside your data scope);
    contacts masked while it waits in a pool that masks them (admins see them)."""
    customer = customers.show_customer(uow=uow, customer_id=customer_id, actor=actor)
    return customer_read(customer, Names(uow))


@router.get("/{customer_id}/history")
def customer_history(
    customer_id: CustomerId, uow: UowDep, actor: CurrentActor
) -> list[AssignmentRead]:
    """Every change of the customer's owner (分配记录), oldest first, with names."""
    records = assignments.history(uow=uow, customer_id=customer_id, actor=actor)
    return assignment_reads(records, Names(uow))


_DUPLICATE: dict[int | str, dict[str, Any]] = {
    409: {"model": DuplicateConflictRead, "description": "Same phone or email, or key reused."}
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CustomerCreated,
    responses={**FORBIDDEN, **_DUPLICATE},
)
def create_customer(
    body: CustomerCreate,
    uow: UowDep,
    actor: WriterActor,
    fenpei: FenpeiDep,
    response: Response,
    route: Annotated[bool, Query(description="Route it now; false leaves it unowned.")] = True,
    allow_duplicate: Annotated[
        bool, Query(description="Create it even if its phone or email is a customer's.")
    ] = False,
    idempotency_key: IdempotencyKey = None,
) -> CustomerCreated | JSONResponse:
    """Store a customer and route it at once; bad fields are named and nothing is stored.
    A phone or email an existing customer has is a 409 ``duplicate`` with the matches
    (查重), unless ``allow_duplicate`` is true (in the body or the query); a matching
    company alone does not stop it."""
    fields = dict(body.model_extra or {})
    allowed = fields.pop("allow_duplicate", False)
    if not isinstance(allowed, bool):
        raise ValidationFailed.one("allow_duplicate", "must be true or false")
    allowed = allowed or allow_duplicate

    def create() -> tuple[int, CustomerCreated]:
        if not allowed:
            duplicates.check_before_create(uow=uow, actor=actor, now=fenpei.now(), fields=fields)
        customer, decision = intake.create_and_route(
            uow=uow,
            rulebook=fenpei.rulebook,
            fields=fields,
            actor=actor,
            now=fenpei.now(),
            rng=fenpei.rng(),
            route=route,
        )
        assert customer.id is not None
        return customer.id, CustomerCreated(
            customer=customer_read(customer, Names(uow)),
            decision=decision_read(decision) if decision else None,
        )

    try:
        return create_once(
            uow=uow,
            fenpei=fenpei,
            response=response,
            key=idempotency_key,
            kind="customer",
            payload={"fields": fields, "route": route},
            create=create,
            model=CustomerCreated,
        )
    except DuplicateFound as found:
        uow.rollback()
        body_409 = DuplicateConflictRead.of(str(found), found.matches)
        return JSONResponse(body_409.model_dump(mode="json"), status_code=409)


@router.patch("/{customer_id}", responses=FORBIDDEN)
def update_customer(
    customer_id: CustomerId,
    body: CustomerUpdate,
    uow: UowDep,
    actor: WriterActor,
    fenpei: FenpeiDep,
) -> CustomerRead:
    """Change the fields given; the owner changes through an assignment instead (or through
    a rule whose re-routing trigger the change fires: 动态分配)."""
    routing_reroute.update_customer_and_reroute(
        uow=uow,
        rulebook=fenpei.rulebook,
        customer_id=customer_id,
        fields=body.model_extra or {},
        actor=actor,
        now=fenpei.now(),
        rng=fenpei.rng(),
    )
    uow.commit()
    return customer_read(customers.show_customer(uow=uow, customer_id=customer_id, actor=actor),
                         Names(uow))  # fmt: skip


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT, responses=FORBIDDEN)
def delete_customer(
    customer_id: CustomerId, uow: UowDep, actor: WriterActor, fenpei: FenpeiDep
) -> None:
    """Soft-delete: it leaves every list, its history stays for the audit."""
    customers.delete_customer(uow=uow, customer_id=customer_id, actor=actor, now=fenpei.now())
    uow.commit()
