"""The customer pages: the list (filters, sort, pages), one customer, and "my customers".

Each list URL answers with the whole page, or on ``HX-Request`` with only the results
(``customers/_results.html``), which htmx swaps in while keeping the address in sync.
The forms that change owners and create customers live in ``pages_customers_actions``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.customers import Stage
from fenpei.domain.due import DUE_SORT
from fenpei.domain.reclaim import GoverningTerms
from fenpei.domain.users import Actor, User
from fenpei.http.deps import CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.fields import MAX_ID, BoundedDate, EmptyIsNone, FilterText, Id
from fenpei.http.reads import Names, assignment_reads, customer_read, customer_reads
from fenpei.services import assignments, customers, scope
from fenpei.services.categories import load_category_index
from fenpei.services.due import due_terms
from fenpei.services.pool.claims import return_reasons
from fenpei.services.ports import CustomerQuery, UnitOfWork
from fenpei.web import pages_customers_actions, pages_customers_bulk
from fenpei.web._attachments_view import attachments_context
from fenpei.web._category_words import labeller
from fenpei.web._customer_list import PAGE_SIZE, POOL, SORTABLE, ListFilters, page_size
from fenpei.web._due_words import due_context
from fenpei.web._explain import explain_lines
from fenpei.web._follow_up_view import follow_up_context
from fenpei.web._scoring_view import customer_scoring, list_scoring
from fenpei.web._scoring_words import Number
from fenpei.web._task_view import customer_tasks_context
from fenpei.web.i18n import Translate, number_formatter, translator
from fenpei.web.pages_customers_bulk import bulk_context
from fenpei.web.pages_sla import due_markers, sla_context
from fenpei.web.rendering import is_htmx, page_language, render

router = APIRouter(include_in_schema=False)
# First: "/customers/new" must be matched before "/customers/{customer_id}".
router.include_router(pages_customers_actions.router)
router.include_router(pages_customers_bulk.router)
MAX_PAGE = 10**6
MY_LAST_VISIT = "my_last_visit"
NEW_FOR = timedelta(hours=24)
MY_REMEMBERED = timedelta(days=90)  # how long the last visit counts
Text = Annotated[FilterText | None, EmptyIsNone, Query()]
MyOrder = Literal["recent", "due"]
# "My customers" newest assignment first, or by what is due: the earliest of the next
# follow-up, the SLA clock and the reclaim (domain/due.py), overdue first.
MY_ORDERS: dict[str, str] = {"recent": "-assigned_at", "due": DUE_SORT}


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/customers", status_code=303)


def choices(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """What the filter and assignment selects offer: reps and teams in the actor's scope,
    the values of each category a filter may pick (retired ones too: customers keep them),
    and ``label_of(t, key, code)`` to show a stored code by its label."""
    visible = scope.data_scope(uow=uow, actor=actor)
    index = load_category_index(uow)
    return {
        "reps": [r for r in uow.reps.all() if visible.covers_rep(r)],
        "teams": [t for t in uow.teams.all() if visible.covers_team(t.id)],
        "category_values": index.filterable,
        "label_of": labeller(index),
        "stages": list(Stage),
        "can_assign": actor.role in scope.WRITERS,
    }


@router.get("/customers")
def customers_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    q: Text = None,
    owner: Annotated[str, Query(max_length=20)] = "",
    team_id: Annotated[Id | None, EmptyIsNone, Query()] = None,
    stage: Annotated[Stage | None, EmptyIsNone, Query()] = None,
    level: Text = None,
    region: Text = None,
    industry: Text = None,
    source: Text = None,
    created_from: Annotated[BoundedDate | None, EmptyIsNone, Query()] = None,
    created_to: Annotated[BoundedDate | None, EmptyIsNone, Query()] = None,
    sort: Annotated[str, Query(max_length=30)] = "-created_at",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int | None, EmptyIsNone, Query(ge=1, le=MAX_PAGE)] = None,
    done: Annotated[int | None, Query(ge=0, le=10**6)] = None,
) -> Response:
    """客户: customers, newest first, with filters, sortable columns and pages."""
    filters = ListFilters(
        q=q or "",
        owner=owner,
        team_id=team_id,
        stage=stage,
        level=level or "",
        region=region or "",
        industry=industry or "",
        source=source or "",
        created_from=created_from,
        created_to=created_to,
        sort=sort or "-created_at",
        page=page,
        per_page=page_size(per_page),
    )
    actor = actor_of(user)
    now = fenpei.now()
    terms = due_terms(uow=uow)  # read once: for the "due" sort and for the words
    query = replace(filters.query(fenpei.settings.zone), due_terms=terms)
    found, total = customers.list_customers(uow=uow, query=query, actor=actor)
    pages = max(1, -(-total // filters.per_page))
    sla_due = due_markers(uow, [c.id for c in found if c.id is not None])
    context = {
        "user": user,
        "active": "customers",
        "customers": customer_reads(found, Names(uow)),
        "total": total,
        "page": page,
        "pages": pages,
        "filters": filters,
        "pool": POOL,
        "sortable": SORTABLE,
        "done": done,
        "here": filters.url(),
        "previous_url": filters.url(page=page - 1) if page > 1 else None,
        "next_url": filters.url(page=page + 1) if page < pages else None,
        **choices(uow, actor),
        **bulk_context(request, uow, actor, now),
        "sla_due": sla_due,
        **due_context(request, uow, user, found, sla_due, terms, now),
        **list_scoring(uow, found, *_words(request), now),
    }
    if is_htmx(request):
        response = render(request, "customers/_results.html", context)
        response.headers["HX-Push-Url"] = filters.url()  # the clean URL, empty filters left out
        return response
    return render(request, "customers.html", context)


def _words(request: Request) -> tuple[Translate, Number]:
    language = page_language(request)
    return translator(language), number_formatter(language)


def rule_conditions(uow: UnitOfWork) -> Any:
    """``conditions_of(rule_id, at)``: a rule's conditions in the version live at ``at``."""

    def conditions_of(rule_id: int, at: datetime) -> dict[str, Any] | None:
        versions = [v for v in uow.rules.versions(rule_id) if v.at <= at]
        if versions:
            snapshot = max(versions, key=lambda v: v.version).snapshot
            conditions = snapshot.get("conditions")
            return conditions if isinstance(conditions, dict) else None
        rule = uow.rules.get(rule_id)
        return rule.conditions if rule is not None else None

    return conditions_of


def customer_context(
    request: Request, uow: UnitOfWork, user: User, customer_id: int, now: datetime
) -> dict[str, Any]:
    """Everything the customer page shows (404 outside the user's data scope)."""
    actor = actor_of(user)
    customer = customers.show_customer(uow=uow, customer_id=customer_id, actor=actor)
    names = Names(uow)
    history = assignment_reads(
        assignments.history(uow=uow, customer_id=customer_id, actor=actor), names
    )
    t = translator(page_language(request))
    owner_views = actor.rep_id is not None and customer.owner_id == actor.rep_id
    conditions_of = rule_conditions(uow)
    return {
        "user": user,
        "active": "customers",
        "customer": customer_read(customer, names),
        "pool": customer.pool,
        "queue_reason": customer.queue_reason,
        "history": [(a, explain_lines(t, a, conditions_of)) for a in reversed(history)],
        "created": request.query_params.get("created") == "1",
        "moved": request.query_params.get("moved") == "1",
        # The owner's return form; a won customer stays (the page says why, no form).
        "can_return": owner_views and customer.stage is not Stage.won,
        "won_stays": owner_views and customer.stage is Stage.won,
        "return_reasons": return_reasons(uow),
        "return_error": request.query_params.get("return_error") in ("1", "won"),
        "return_refused_won": request.query_params.get("return_error") == "won",
        "followed": request.query_params.get("followed") == "1",
        "staged": request.query_params.get("staged") == "1",
        "corrected": request.query_params.get("corrected") == "1",
        **follow_up_context(uow, actor, customer, now),
        **choices(uow, actor),
        **bulk_context(request, uow, actor, now),
        **sla_context(uow, actor, customer_id, now),
        **customer_tasks_context(uow, actor, customer_id, now),
        **customer_scoring(uow, actor, customer_id, *_words(request), now),
        **attachments_context(uow, actor, customer_id),
        "attached": request.query_params.get("attached") == "1",
        "detached": request.query_params.get("detached") == "1",
    }


@router.get("/customers/{customer_id}")
def customer_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    customer_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> Response:
    """One customer: its attributes, owner, and every assignment with its reasons."""
    context = customer_context(request, uow, user, customer_id, fenpei.now())
    return render(request, "customer.html", context)


def _new_since(request: Request, now: datetime, carried: datetime | None) -> datetime:
    """Where "new" begins: the moment the pager carried from the first page (so every page
    and its count use one boundary), else the earlier of a day ago and the last visit."""
    if carried is not None and carried.tzinfo is not None and now - MY_REMEMBERED <= carried <= now:
        return carried
    since = now - NEW_FOR
    try:
        previous = datetime.fromisoformat(request.cookies.get(MY_LAST_VISIT, ""))
    except ValueError:
        return since
    if previous.tzinfo is not None and now - MY_REMEMBERED <= previous:
        since = min(since, previous)
    return since


def _my_url(page: int, since: datetime, order: str = "recent") -> str:
    return "/my?" + urlencode({"page": page, "since": since.isoformat(), "order": order})


@router.get("/my")
def my_customers_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    since: Annotated[datetime | None, Query()] = None,
    order: Annotated[MyOrder, Query()] = "recent",
) -> Response:
    """我的客户: the customers the user owns as a rep, the newly assigned ones marked (the
    count of new ones covers every page), each with its last and next follow-up and what is
    due (follow-up, SLA clock, reclaim) in words in the rep's zone; ``order=due`` puts the
    earliest due first (so the overdue ones), nothing due last."""
    now = fenpei.now()
    new_since = _new_since(request, now, since)
    found: list[Any] = []
    total = new_total = 0
    terms: tuple[GoverningTerms, ...] = ()
    if user.rep_id is not None:
        actor = actor_of(user)
        terms = due_terms(uow=uow)  # read once: for the sort and for the words
        sort = MY_ORDERS[order]
        mine = CustomerQuery(owner_id=user.rep_id, sort=sort, limit=PAGE_SIZE, due_terms=terms)
        found, total = customers.list_customers(
            uow=uow, query=replace(mine, offset=(page - 1) * PAGE_SIZE), actor=actor
        )
        _, new_total = customers.list_customers(
            uow=uow, query=replace(mine, assigned_after=new_since, limit=1), actor=actor
        )
    pages = max(1, -(-total // PAGE_SIZE))
    sla_due = due_markers(uow, [c.id for c in found if c.id is not None])
    context = {
        "user": user,
        "active": "my",
        **due_context(request, uow, user, found, sla_due, terms, now),
        "returned": request.query_params.get("returned") == "1",
        "has_rep": user.rep_id is not None,
        "customers": customer_reads(found, Names(uow)),
        "label_of": labeller(load_category_index(uow)),
        "new_ids": {c.id for c in found if c.assigned_at is not None and c.assigned_at > new_since},
        "new_total": new_total,
        "sla_due": sla_due,
        "total": total,
        "page": page,
        "pages": pages,
        "previous_url": _my_url(page - 1, new_since, order) if page > 1 else None,
        "next_url": _my_url(page + 1, new_since, order) if page < pages else None,
        "order": order,
        "order_urls": {o: _my_url(1, new_since, o) for o in MY_ORDERS},
        "now": now,
    }
    response = render(request, "customers/my.html", context)
    response.set_cookie(
        MY_LAST_VISIT,
        now.isoformat(),
        max_age=MY_REMEMBERED.days * 3600 * 24,
        httponly=True,
        samesite="lax",
    )
    return response
