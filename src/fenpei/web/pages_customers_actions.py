"""The customer forms: create one (and route it), change owners by hand, one or many.

Changing owners takes two posts: the first checks the input and shows what will happen
("3 customers → Alice, Bob, evenly") with a confirm button; the second, carrying
``confirmed=1``, does it. Bad input re-renders the form or the confirmation with the
problem next to the field (422, nothing saved); a capacity or state conflict is 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from fenpei.domain.customers import Customer, Stage
from fenpei.domain.duplicates import DuplicateFound
from fenpei.domain.errors import CapacityExceeded, Conflict, FieldError, ValidationFailed
from fenpei.domain.org import Rep
from fenpei.domain.users import Actor
from fenpei.http.deps import CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.fields import MAX_ID
from fenpei.services import assignments, customers, duplicates, intake, scope
from fenpei.services.categories import load_category_index
from fenpei.services.ports import UnitOfWork
from fenpei.web._duplicates import pool_words
from fenpei.web._reasons import capacity_text
from fenpei.web._said import said
from fenpei.web.i18n import Translate, translator
from fenpei.web.rendering import is_htmx, page_language, render, safe_next

router = APIRouter(include_in_schema=False)
MAX_BATCH = 500
ACTIONS = ("assign", "reassign", "spread")
NEW_FIELDS = (
    "name", "company_name", "phone", "email", "wechat", "region", "province", "city",
    "industry", "level", "customer_type", "source", "stage", "expected_value", "tags",
    "external_id",
)  # fmt: skip


class NewCustomerForm(BaseModel):
    """The new-customer form as posted; the service validates every value."""

    name: str = ""
    company_name: str = ""
    phone: str = ""
    email: str = ""
    wechat: str = ""
    region: str = ""
    province: str = ""
    city: str = ""
    industry: str = ""
    level: str = ""
    customer_type: str = ""
    source: str = ""
    stage: str = ""
    expected_value: str = ""
    tags: str = ""
    external_id: str = ""
    allow_duplicate: str = ""  # "1": create it although its phone or email is known (查重)


class OwnerForm(BaseModel):
    """Who gets the chosen customers: one rep (assign, reassign) or several (spread)."""

    customer_ids: list[int] = Field(default_factory=list, max_length=MAX_BATCH)
    action: str = "assign"
    rep_id: str = ""
    rep_ids: list[int] = Field(default_factory=list, max_length=100)
    reason: str = ""
    confirmed: str = ""
    back: str = "/customers"


def _field_messages(t: Translate, errors: list[FieldError]) -> dict[str, str]:
    """Errors by field, for showing next to each input ("is required" translated)."""
    shown: dict[str, str] = {}
    for error in errors:
        text = t("new.required") if error.message == "is required" else said(t, error.message)
        shown.setdefault(error.field.split("[")[0], text)
    return shown


def _form_context(uow: UnitOfWork, user: Any) -> dict[str, Any]:
    index = load_category_index(uow)
    return {"user": user, "active": "new", "stages": list(Stage), "category_values": index.usable}


@router.get("/customers/new")
def new_customer_page(request: Request, uow: UowDep, user: CurrentUser) -> Response:
    """新建客户: the form; admins and managers only."""
    scope.require_writer(actor_of(user), "create customers")
    context = {**_form_context(uow, user), "values": NewCustomerForm(), "errors": {}}
    return render(request, "customers/new.html", context)


@router.post("/customers/new")
def create_customer(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    form: Annotated[NewCustomerForm, Form()],
) -> Response:
    """Store the customer and route it at once; then show it with the routing's reasons."""
    fields = {
        name: value
        for name, value in form.model_dump(exclude={"allow_duplicate"}).items()
        if value.strip()
    }
    try:
        if form.allow_duplicate != "1":
            duplicates.check_before_create(
                uow=uow, actor=actor_of(user), now=fenpei.now(), fields=fields
            )
        customer, _ = intake.create_and_route(
            uow=uow,
            rulebook=fenpei.rulebook,
            fields=fields,
            actor=actor_of(user),
            now=fenpei.now(),
            rng=fenpei.rng(),
        )
    except ValidationFailed as exc:
        t = translator(page_language(request))
        context = {
            **_form_context(uow, user),
            "values": form,
            "errors": _field_messages(t, exc.errors),
        }
        return render(request, "customers/new.html", context, status_code=422)
    except DuplicateFound as found:
        uow.rollback()
        context = {**_form_context(uow, user), "values": form, "errors": {}}
        context["duplicates"] = found.matches
        context["pool_words"] = pool_words(translator(page_language(request)), uow)
        return render(request, "customers/new.html", context, status_code=409)
    uow.commit()
    return RedirectResponse(f"/customers/{customer.id}?created=1", status_code=303)


def _done(request: Request, url: str) -> Response:
    """Go to ``url``: htmx reloads the whole page there, a plain form follows a 303."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _confirm(request: Request, context: dict[str, Any], status_code: int = 200) -> Response:
    name = "customers/_confirm_dialog.html" if is_htmx(request) else None
    return render(
        request,
        name or "customers/confirm.html",
        {"active": "customers", **context},
        status_code=status_code,
    )


def _rep(uow: UnitOfWork, actor: Actor, rep_id: int) -> Rep:
    visible = scope.data_scope(uow=uow, actor=actor)
    return scope.visible_rep(visible, uow.reps.get(rep_id), rep_id)


def _chosen_reps(
    uow: UnitOfWork, actor: Actor, form: OwnerForm, errors: list[FieldError]
) -> list[Rep]:
    if form.action == "spread":
        if not form.rep_ids:
            errors.append(FieldError("rep_ids", "choose"))
        return [_rep(uow, actor, rep_id) for rep_id in dict.fromkeys(form.rep_ids)]
    if not form.rep_id.isdigit() or len(form.rep_id) > 10:
        errors.append(FieldError("rep_id", "choose"))
        return []
    return [_rep(uow, actor, int(form.rep_id))]


def _summary(t: Translate, action: str, count: int, reps: list[Rep]) -> str:
    names = ", ".join(r.name for r in reps)
    if action == "spread" and len(reps) > 1:
        return t("owners.summary_spread", count=count, reps=names)
    return t("owners.summary", count=count, rep=names)


def _one_summary(t: Translate, customer: str, owner: Rep | None, rep: Rep) -> str:
    if owner is None:
        return t("owners.one.summary_assign", customer=customer, rep=rep.name)
    return t("owners.one.summary_transfer", customer=customer, owner=owner.name, rep=rep.name)


@router.post("/customers/bulk")
def change_owners(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    form: Annotated[OwnerForm, Form()],
) -> Response:
    """Assign, reassign or spread the chosen customers: confirm first, then do it."""
    actor = actor_of(user)
    scope.require_writer(actor, "assign customers")
    t = translator(page_language(request))
    errors: list[FieldError] = []
    if form.action not in ACTIONS:
        errors.append(FieldError("action", "choose"))
    chosen: list[Customer] = [
        customers.read_customer(uow=uow, customer_id=cid, actor=actor)
        for cid in dict.fromkeys(form.customer_ids)
    ]
    if not chosen:
        errors.append(FieldError("customer_ids", "choose"))
    reps = _chosen_reps(uow, actor, form, errors)
    owned = any(c.owner_id is not None for c in chosen)
    # The reason is asked for in the confirmation and only missed once it is confirmed.
    if form.confirmed and (form.action == "reassign" or owned) and not form.reason.strip():
        errors.append(FieldError("reason", "required"))
    back = safe_next(form.back)
    context: dict[str, Any] = {
        "user": user,
        "post_to": "/customers/bulk",
        "cancel_url": back,
        "form": form,
        "names": [c.name for c in chosen],
        "summary": _summary(t, form.action, len(chosen), reps) if chosen and reps else "",
        "errors": {e.field: t(f"owners.error_{e.field}") for e in errors},
        "owned": owned,
    }
    if errors:
        return _confirm(request, context, status_code=422)
    if not form.confirmed:
        return _confirm(request, context)
    try:
        done = assignments.bulk_assign(
            uow=uow,
            customer_ids=[c.id for c in chosen if c.id is not None],
            rep_ids=[r.id for r in reps if r.id is not None],
            actor=actor,
            now=fenpei.now(),
            reason=form.reason or None,
        )
    except (ValidationFailed, Conflict) as exc:
        uow.rollback()
        context["errors"] = {"general": _problem(t, exc)}
        return _confirm(
            request, context, status_code=422 if isinstance(exc, ValidationFailed) else 409
        )
    uow.commit()
    separator = "&" if "?" in back else "?"
    return _done(request, f"{back}{separator}done={len(done)}")


def _problem(t: Translate, exc: ValidationFailed | Conflict) -> str:
    if isinstance(exc, CapacityExceeded):
        return t("owners.error_capacity", rep=exc.rep_name, detail=capacity_text(t, exc.reason))
    if isinstance(exc, ValidationFailed) and any(e.field == "reason" for e in exc.errors):
        return t("owners.error_reason")
    return t("owners.error_other", detail=str(exc))


@router.post("/customers/{customer_id}/reassign")
def reassign(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    customer_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    form: Annotated[OwnerForm, Form()],
) -> Response:
    """Give one customer to another rep by hand, with a reason: confirm, then do it."""
    actor = actor_of(user)
    scope.require_writer(actor, "assign customers")
    t = translator(page_language(request))
    customer = customers.read_customer(uow=uow, customer_id=customer_id, actor=actor)
    errors: list[FieldError] = []
    reps = _chosen_reps(uow, actor, form.model_copy(update={"action": "assign"}), errors)
    if form.confirmed and customer.owner_id is not None and not form.reason.strip():
        errors.append(FieldError("reason", "required"))
    here = f"/customers/{customer_id}"
    # One customer's dialog speaks of that customer (转移 X 从 A 到 B), not of "1 customer".
    owner = uow.reps.get(customer.owner_id) if customer.owner_id is not None else None
    transfer = customer.owner_id is not None
    context: dict[str, Any] = {
        "user": user,
        "post_to": f"{here}/reassign",
        "cancel_url": here,
        "form": form.model_copy(update={"action": "assign", "customer_ids": [customer_id]}),
        "names": [],
        "summary": _one_summary(t, customer.name, owner, reps[0]) if reps else "",
        "errors": {e.field: t(f"owners.error_{e.field}") for e in errors},
        "owned": False,
        "one": "transfer" if transfer else "assign",
    }
    if errors:
        return _confirm(request, context, status_code=422)
    if not form.confirmed:
        return _confirm(request, context)
    try:
        assignments.assign(
            uow=uow,
            customer_id=customer_id,
            rep_id=reps[0].id or 0,
            actor=actor,
            now=fenpei.now(),
            reason=form.reason or None,
        )
    except (ValidationFailed, Conflict) as exc:
        uow.rollback()
        context["errors"] = {"general": _problem(t, exc)}
        return _confirm(
            request, context, status_code=422 if isinstance(exc, ValidationFailed) else 409
        )
    uow.commit()
    return _done(request, f"{here}?moved=1")
