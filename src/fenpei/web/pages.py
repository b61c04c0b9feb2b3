"""The read-only pages: the customer list (search, stage, pages) and one customer."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.api.deps import CurrentUser, UowDep, actor_of
from fenpei.api.reads import Names, assignment_reads, customer_read, customer_reads
from fenpei.api.schemas import MAX_ID, EmptyIsNone, FilterText
from fenpei.domain.customers import Stage
from fenpei.services import assignments, customers
from fenpei.services.ports import CustomerQuery
from fenpei.web.rendering import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
MAX_PAGE = 10**6


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/customers", status_code=303)


def _page_url(q: str | None, stage: Stage | None, page: int) -> str:
    params = {"q": q, "stage": stage.value if stage else None, "page": page if page > 1 else None}
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return "/customers" + (f"?{query}" if query else "")


@router.get("/customers")
def customers_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    q: Annotated[FilterText | None, EmptyIsNone, Query()] = None,
    stage: Annotated[Stage | None, EmptyIsNone, Query()] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    """客户: a table of customers, newest first, with search, stage filter and pages."""
    query = CustomerQuery(text=q, stage=stage, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    found, total = customers.list_customers(uow=uow, query=query, actor=actor_of(user))
    pages = max(1, -(-total // PAGE_SIZE))
    context = {
        "user": user,
        "active": "customers",
        "customers": customer_reads(found, Names(uow)),
        "total": total,
        "page": page,
        "pages": pages,
        "q": q or "",
        "stage": stage.value if stage else "",
        "stages": list(Stage),
        "previous_url": _page_url(q, stage, page - 1) if page > 1 else None,
        "next_url": _page_url(q, stage, page + 1) if page < pages else None,
    }
    return render(request, "customers.html", context)


@router.get("/customers/{customer_id}")
def customer_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    customer_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> Response:
    """One customer: its attributes and its assignment history in plain words."""
    actor = actor_of(user)
    customer = customers.read_customer(uow=uow, customer_id=customer_id, actor=actor)
    names = Names(uow)
    context = {
        "user": user,
        "active": "customers",
        "customer": customer_read(customer, names),
        "history": assignment_reads(
            assignments.history(uow=uow, customer_id=customer_id, actor=actor), names
        ),
    }
    return render(request, "customer.html", context)
