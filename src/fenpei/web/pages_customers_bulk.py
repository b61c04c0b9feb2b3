"""Bulk work at volume on the customer list: the rep pickers' options and "all N customers
matching this filter".

The list's action bar posts its filter (not ids) to ``/customers/bulk/matching``. The first
post counts on the server and shows one confirmation stating the count, the filter and the
rep(s); the second, carrying ``confirmed=1`` and that count as ``expected``, applies the
change through ``services.bulk_matching`` (one transaction, the bulk service's scope and
capacity rules) and shows how many customers each rep got. Above 5,000 matching customers
the change is refused with the count (narrow the filter); if the count changed since the
confirmation, the confirmation is shown again with the new count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from fenpei.domain.customers import Stage
from fenpei.domain.errors import CapacityExceeded, Conflict, ValidationFailed
from fenpei.domain.org import Rep
from fenpei.domain.users import Actor
from fenpei.http.deps import CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.fields import Id
from fenpei.services import bulk_matching, scope
from fenpei.services.assignments import MAX_BULK_CUSTOMERS, MAX_SPREAD_REPS
from fenpei.services.ports import CustomerQuery, UnitOfWork
from fenpei.services.rep_status import StatusKind, rep_statuses
from fenpei.web._customer_list import PAGE_SIZES, POOL, ListFilters
from fenpei.web._form_values import form_id
from fenpei.web._reasons import capacity_text
from fenpei.web._rep_picker import rep_options
from fenpei.web.i18n import Translate, number_formatter, translator
from fenpei.web.rendering import is_htmx, page_language, render, safe_next

router = APIRouter(include_in_schema=False)
Numbers = Callable[[object], str]
ACTIONS = ("assign", "reassign", "spread")


def bulk_context(request: Request, uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
    """What the list's action bar needs beyond the list: the pickers' options (only for
    those who may assign) and the page sizes offered."""
    options = []
    if actor.role in scope.WRITERS:
        t = translator(page_language(request))
        options = rep_options(uow=uow, actor=actor, now=now, t=t)
    return {"rep_options": options, "page_sizes": PAGE_SIZES, "max_bulk": MAX_BULK_CUSTOMERS}


class MatchingForm(BaseModel):
    """The list's filter as posted (the list's own parameter names), and the change."""

    q: str = Field("", max_length=200)
    owner: str = Field("", max_length=20)
    team_id: str = Field("", max_length=12)
    stage: str = Field("", max_length=20)
    level: str = Field("", max_length=200)
    region: str = Field("", max_length=200)
    industry: str = Field("", max_length=200)
    source: str = Field("", max_length=200)
    created_from: str = Field("", max_length=10)
    created_to: str = Field("", max_length=10)
    action: str = "assign"
    rep_id: str = ""
    rep_ids: list[Id] = Field(default_factory=list, max_length=MAX_SPREAD_REPS)
    reason: str = Field("", max_length=1000)
    expected: str = Field("", max_length=12)
    confirmed: str = ""
    back: str = "/customers"


def _filters(form: MatchingForm) -> ListFilters:
    """The posted filter as the list reads it; a value the list could not have sent is a
    ValidationFailed on ``filter``."""
    try:
        return ListFilters(
            q=form.q.strip(),
            owner=form.owner,
            team_id=int(form.team_id) if form.team_id else None,
            stage=Stage(form.stage) if form.stage else None,
            level=form.level,
            region=form.region,
            industry=form.industry,
            source=form.source,
            created_from=date.fromisoformat(form.created_from) if form.created_from else None,
            created_to=date.fromisoformat(form.created_to) if form.created_to else None,
        )
    except ValueError:
        raise ValidationFailed.one("filter", "is not a filter of the customer list") from None


def _reps(uow: UnitOfWork, actor: Actor, form: MatchingForm) -> list[Rep]:
    visible = scope.data_scope(uow=uow, actor=actor)
    if form.action == "spread":
        wanted = list(dict.fromkeys(form.rep_ids))
    elif isinstance(chosen := form_id(form.rep_id), int):
        wanted = [chosen]
    else:
        wanted = []
    return [scope.visible_rep(visible, uow.reps.get(rep_id), rep_id) for rep_id in wanted]


def _filter_lines(t: Translate, uow: UnitOfWork, filters: ListFilters) -> list[tuple[str, str]]:
    """The filter in words, one (label, value) per parameter set, for the confirmation."""
    lines = []
    for name, value in filters.filter_params().items():
        shown = value
        if name == "owner":
            rep = uow.reps.get(int(value)) if value.isdigit() else None
            shown = t("owner.pool") if value == POOL else (rep.name if rep else value)
        elif name == "team_id":
            team = uow.teams.get(int(value))
            shown = team.name if team else value
        elif name == "stage":
            shown = t(f"stage.{value}")
        label = {
            "q": "customers.search",
            "team_id": "field.team",
            "created_from": "customers.created_from",
            "created_to": "customers.created_to",
        }.get(name, f"field.{name}")
        lines.append((t(label), shown))
    return lines


def _summary(t: Translate, action: str, count: str, reps: list[Rep]) -> str:
    names = t("bulkall.list_separator").join(r.name for r in reps)
    if action == "spread" and len(reps) > 1:
        return t("bulkall.summary_spread", count=count, reps=names, each=len(reps))
    return t("bulkall.summary", count=count, rep=names)


def _problem(t: Translate, n: Numbers, exc: ValidationFailed | Conflict) -> str:
    if isinstance(exc, bulk_matching.TooManyMatching):
        return t("bulkall.error_too_many", count=n(exc.count), limit=n(MAX_BULK_CUSTOMERS))
    if isinstance(exc, bulk_matching.MatchingChanged):
        return t("bulkall.error_changed", expected=n(exc.expected), found=n(exc.found))
    if isinstance(exc, CapacityExceeded):
        return t("owners.error_capacity", rep=exc.rep_name, detail=capacity_text(t, exc.reason))
    if isinstance(exc, ValidationFailed):
        fields = {e.field for e in exc.errors}
        if "reason" in fields:
            return t("owners.error_reason")
        if "filter" in fields:
            return t("bulkall.error_nothing")
    return t("owners.error_other", detail=str(exc))


def _show(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """The dialog's content for htmx (swapped into the list's dialog slot), else a page."""
    page = "customers/bulk_matching.html"
    context = {"active": "customers", "part": name, **context}
    if is_htmx(request):
        return render(
            request, "customers/_bulk_matching_dialog.html", context, status_code=status_code
        )
    return render(request, page, context, status_code=status_code)


def _owned_count(uow: UnitOfWork, query: CustomerQuery, actor: Actor, total: int) -> int:
    """How many of the matching customers have an owner (a reason is due for those)."""
    if query.unowned:
        return 0
    if query.owner_id is not None:
        return total
    unowned = replace(query, unowned=True)
    return total - bulk_matching.count_matching(uow=uow, query=unowned, actor=actor)


@router.post("/customers/bulk/matching")
def change_owners_matching(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    form: Annotated[MatchingForm, Form()],
) -> Response:
    """Assign, reassign or spread every customer matching the list's filter: count and
    confirm first, then do it and show the count per rep."""
    actor = actor_of(user)
    scope.require_writer(actor, "assign customers")
    t = translator(page_language(request))
    n = number_formatter(page_language(request))
    errors: dict[str, str] = {}
    context: dict[str, Any] = {"user": user, "form": form, "back": safe_next(form.back)}
    try:
        filters = _filters(form)
        query = filters.query(fenpei.settings.zone)
        total = bulk_matching.count_matching(uow=uow, query=query, actor=actor)
    except ValidationFailed:
        errors["general"] = t("bulkall.error_filter")
        return _show(request, "confirm", {**context, "errors": errors}, status_code=422)
    reps = _reps(uow, actor, form)
    owned = _owned_count(uow, query, actor, total)
    if form.action not in ACTIONS:
        errors["action"] = t("owners.error_action")
    if not reps:
        field = "rep_ids" if form.action == "spread" else "rep_id"
        errors[field] = t(f"owners.error_{field}")
    if form.confirmed and (form.action == "reassign" or owned) and not form.reason.strip():
        errors["reason"] = t("owners.error_reason")
    if total == 0:
        errors["general"] = t("bulkall.error_nothing")
    elif total > MAX_BULK_CUSTOMERS:
        errors["general"] = t("bulkall.error_too_many", count=n(total), limit=n(MAX_BULK_CUSTOMERS))
    statuses = rep_statuses(uow=uow, reps=reps, now=fenpei.now())
    context.update(
        unavailable=[
            (rep.name, t(f"org.status.{statuses[rep.id].kind.value}"))
            for rep in reps
            if rep.id in statuses and statuses[rep.id].kind is not StatusKind.available
        ],
        filters=filters,
        filter_lines=_filter_lines(t, uow, filters),
        total=total,
        owned=owned,
        reps=reps,
        summary=_summary(t, form.action, n(total), reps) if reps and total else "",
        errors=errors,
        can_confirm=not (set(errors) - {"reason"}),
    )
    if errors:
        return _show(request, "confirm", context, status_code=422)
    if not form.confirmed:
        return _show(request, "confirm", context)
    expected = int(form.expected) if form.expected.isdigit() else None
    try:
        result = bulk_matching.assign_matching(
            uow=uow,
            query=query,
            rep_ids=[r.id for r in reps if r.id is not None],
            actor=actor,
            now=fenpei.now(),
            reason=form.reason.strip() or None,
            expected=expected,
        )
    except (ValidationFailed, Conflict) as exc:
        uow.rollback()
        errors["general"] = _problem(t, n, exc)
        status = 422 if isinstance(exc, ValidationFailed) else 409
        return _show(request, "confirm", context, status_code=status)
    uow.commit()
    per_rep = [(r.name, result.by_rep.get(r.id or 0, 0)) for r in reps]
    context.update(result=result, per_rep=per_rep)
    return _show(request, "done", context)
