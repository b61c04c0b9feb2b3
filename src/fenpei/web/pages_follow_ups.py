"""The customer page's follow-up form (跟进记录), stage form and follow-up corrections (更正).
A bad value re-renders the customer page with the problem next to its field (422, nothing
saved); success goes back to the page, the new entry at the top of its timeline."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.follow_ups import MAX_CONTENT, MAX_OUTCOME, MAX_REASON
from fenpei.domain.tasks import MAX_TITLE
from fenpei.domain.users import User
from fenpei.http.deps import CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.fields import Id
from fenpei.services import routing_reroute
from fenpei.services.follow_ups import corrections, next_step
from fenpei.web._follow_up_view import follow_up_context
from fenpei.web._form_values import form_local_time
from fenpei.web.i18n import translator
from fenpei.web.pages import customer_context
from fenpei.web.pages_customers_actions import _field_messages
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
# What a form's datetime-local input sends: 2026-12-05T14:30 (seconds optional).


class FollowUpForm(BaseModel):
    kind: str = Field(default="", max_length=100)
    at: str = Field(default="", max_length=40)
    content: str = Field(default="", max_length=MAX_CONTENT + 100)
    outcome: str = Field(default="", max_length=MAX_OUTCOME + 100)
    next_at: str = Field(default="", max_length=40)
    next_step: str = Field(default="", max_length=MAX_TITLE + 100)
    stage: str = Field(default="", max_length=20)
    reason: str = Field(default="", max_length=MAX_REASON + 100)


class CorrectionForm(BaseModel):
    kind: str = Field(default="", max_length=100)
    content: str = Field(default="", max_length=MAX_CONTENT + 100)
    outcome: str = Field(default="", max_length=MAX_OUTCOME + 100)
    next_at: str = Field(default="", max_length=40)


class StageForm(BaseModel):
    stage: str = Field(default="", max_length=20)
    reason: str = Field(default="", max_length=MAX_REASON + 100)


def _again(
    request: Request,
    uow: UowDep,
    user: User,
    customer_id: int,
    now: datetime,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    stage_errors: Mapping[str, str] | None = None,
    correcting: int | None = None,
) -> Response:
    """The customer page again, with the form's values and errors, 422."""
    uow.rollback()
    context = customer_context(request, uow, user, customer_id, now)
    customer = uow.customers.get(customer_id)
    assert customer is not None
    shown = follow_up_context(
        uow, actor_of(user), customer, now, values=values, errors=errors,
        stage_errors=stage_errors, correcting=correcting,
    )  # fmt: skip
    return render(request, "customer.html", {**context, **shown}, status_code=422)


@router.post("/customers/{customer_id}/follow-ups")
def log_follow_up(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    customer_id: Id,
    form: Annotated[FollowUpForm, Form()],
) -> Response:
    """Log a follow-up from the customer page (its owner, or a manager or admin over it)."""
    now = fenpei.now()
    zone = fenpei.settings.zone
    errors: list[FieldError] = []
    at = form_local_time("at", form.at, zone, errors)
    next_at = form_local_time("next_at", form.next_at, zone, errors)
    try:
        # A follow-up may move the customer on (a stage): that can fire a re-routing trigger.
        routing_reroute.change_and_reroute(
            uow=uow, rulebook=fenpei.rulebook, customer_id=customer_id, actor=actor_of(user),
            now=now, rng=fenpei.rng(),
            change=lambda: next_step.record_with_next_step(
                uow=uow, customer_id=customer_id, actor=actor_of(user), kind=form.kind,
                at=at or now, content=form.content, outcome=form.outcome or None,
                next_at=next_at, stage=form.stage or None, reason=form.reason or None,
                now=now, next_step=form.next_step or None,
            ),
        )  # fmt: skip
        if errors:
            raise ValidationFailed([])
    except ValidationFailed as exc:
        t = translator(page_language(request))
        shown = _field_messages(t, errors + exc.errors)
        return _again(request, uow, user, customer_id, now, values=form.model_dump(), errors=shown)
    uow.commit()
    return RedirectResponse(f"/customers/{customer_id}?followed=1#timeline", status_code=303)


@router.post("/customers/{customer_id}/follow-ups/{follow_up_id}")
def correct_follow_up(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    customer_id: Id,
    follow_up_id: Id,
    form: Annotated[CorrectionForm, Form()],
) -> Response:
    """Correct a follow-up from the customer's timeline (its author for a day, an admin)."""
    now = fenpei.now()
    errors: list[FieldError] = []
    next_at = form_local_time("next_at", form.next_at, fenpei.settings.zone, errors)
    try:
        if errors:
            raise ValidationFailed([])
        changes = {"kind": form.kind, "content": form.content, "outcome": form.outcome or None,
                   "next_at": next_at}  # fmt: skip
        corrections.correct_follow_up(
            uow=uow, customer_id=customer_id, follow_up_id=follow_up_id, actor=actor_of(user),
            changes=changes, now=now,
        )  # fmt: skip
    except ValidationFailed as exc:
        shown = _field_messages(translator(page_language(request)), errors + exc.errors)
        return _again(request, uow, user, customer_id, now, values=form.model_dump(),
                      errors=shown, correcting=follow_up_id)  # fmt: skip
    uow.commit()
    return RedirectResponse(
        f"/customers/{customer_id}?corrected=1#follow-up-{follow_up_id}", status_code=303
    )


@router.post("/customers/{customer_id}/stage")
def change_stage(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    customer_id: Id,
    form: Annotated[StageForm, Form()],
) -> Response:
    """Move the customer to another stage, with a reason (required for lost)."""
    now = fenpei.now()
    try:
        routing_reroute.change_stage_and_reroute(
            uow=uow, rulebook=fenpei.rulebook, customer_id=customer_id, to=form.stage,
            reason=form.reason or None, actor=actor_of(user), now=now, rng=fenpei.rng(),
        )  # fmt: skip
    except ValidationFailed as exc:
        shown = _field_messages(translator(page_language(request)), exc.errors)
        return _again(request, uow, user, customer_id, now, stage_errors=shown)
    uow.commit()
    return RedirectResponse(f"/customers/{customer_id}?staged=1#timeline", status_code=303)
