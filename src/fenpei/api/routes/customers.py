"""Customers: list with filters and pages, one customer, its assignment history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query

from fenpei.api.deps import CurrentUser, FenpeiDep, UowDep
from fenpei.api.reads import Names, assignment_reads, customer_read, customer_reads
from fenpei.api.schemas import MAX_ID, AssignmentRead, CustomerFilters, CustomerPage, CustomerRead
from fenpei.domain.errors import ValidationFailed
from fenpei.services import assignments, customers
from fenpei.services.ports import CustomerQuery

router = APIRouter(prefix="/customers", tags=["customers"])
CustomerId = Annotated[int, Path(ge=1, le=MAX_ID, description="The customer's id.")]


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
    user: CurrentUser,
    fenpei: FenpeiDep,
) -> CustomerPage:
    """One page of customers matching the filters, with the total on all pages."""
    query = customer_query(filters, fenpei.settings.zone)
    found, total = customers.list_customers(uow=uow, query=query)
    items = customer_reads(found, Names(uow))
    return CustomerPage(items=items, total=total, offset=query.offset, limit=query.limit)


@router.get("/{customer_id}")
def get_customer(customer_id: CustomerId, uow: UowDep, user: CurrentUser) -> CustomerRead:
    """One customer, with its owner's and team's names."""
    customer = customers.get_customer(uow=uow, customer_id=customer_id)
    return customer_read(customer, Names(uow))


@router.get("/{customer_id}/history")
def customer_history(
    customer_id: CustomerId, uow: UowDep, user: CurrentUser
) -> list[AssignmentRead]:
    """Every change of the customer's owner (分配记录), oldest first, with names."""
    records = assignments.history(uow=uow, customer_id=customer_id)
    return assignment_reads(records, Names(uow))
