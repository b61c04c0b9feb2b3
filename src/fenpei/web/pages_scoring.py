"""评分 (scoring): the admin page of model versions (each kind's, with its metrics against
the baselines), activation, and the grade settings. Admins change; managers and auditors
read. The scorecard editor is ``pages_scoring_card``; training is ``/admin/scoring/train``.
A bad value re-renders the page with the problem beside its field (422, nothing saved)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.scoring import GRADES, GradeBasis, ModelKind
from fenpei.domain.users import User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.fields import MAX_ID
from fenpei.services.ports import UnitOfWork
from fenpei.services.scoring import models
from fenpei.web._said import said
from fenpei.web._scoring_words import metrics_summary
from fenpei.web.i18n import translator
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
ModelId = Annotated[int, Path(ge=1, le=MAX_ID)]
THRESHOLD_GRADES = GRADES[:-1]
DONE = "^(activated|deactivated|settings|saved|unchanged)$"


class SettingsForm(BaseModel):
    grade_basis: str = Field(default="", max_length=30)
    A: str = Field(default="", max_length=30)
    B: str = Field(default="", max_length=30)
    C: str = Field(default="", max_length=30)


def _number(text: str) -> float | str | None:
    """A typed threshold: a number, None when blank, the text itself when not a number
    (the service names it)."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    *,
    done: str | None = None,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_of(user)
    versions = models.list_versions(uow=uow, actor=actor)
    by_kind = {kind: [m for m in versions if m.kind is kind] for kind in ModelKind}
    settings = models.read_settings(uow=uow, actor=actor)
    values = typed or {
        "grade_basis": settings.grade_basis.value,
        **{g: f"{settings.thresholds[g]:g}" for g in THRESHOLD_GRADES if g in settings.thresholds},
    }
    context = {
        "user": user, "active": "scoring", "can_edit": actor.is_admin, "done": done,
        "kinds": list(ModelKind), "by_kind": by_kind,
        "summaries": {m.id: metrics_summary(m) for m in versions},
        "settings": settings, "values": values, "errors": errors or {},
        "bases": [b.value for b in GradeBasis], "grades": THRESHOLD_GRADES,
    }  # fmt: skip
    return render(request, "scoring/admin.html", context, status_code=status_code)


@router.get("/admin/scoring")
def scoring_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    done: Annotated[str | None, Query(max_length=20, pattern=DONE)] = None,
) -> Response:
    """Every model version with its metrics, the active ones, and the grade settings."""
    return _page(request, uow, user, done=done)


@router.post("/admin/scoring/models/{model_id}/activate")
def activate_model(
    model_id: ModelId, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> Response:
    """Make a version its kind's active one (customers are rescored by the job)."""
    models.activate(uow=uow, actor=actor, model_id=model_id, now=fenpei.now())
    uow.commit()
    return RedirectResponse("/admin/scoring?done=activated", status_code=303)


@router.post("/admin/scoring/kinds/{kind}/deactivate")
def deactivate_kind(
    kind: ModelKind, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> Response:
    """Stop the active version of a kind."""
    models.deactivate(uow=uow, actor=actor, kind=kind, now=fenpei.now())
    uow.commit()
    return RedirectResponse("/admin/scoring?done=deactivated", status_code=303)


@router.post("/admin/scoring/settings")
def save_settings(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    form: Annotated[SettingsForm, Form()],
) -> Response:
    """Save the grade basis and thresholds; every bad field is marked."""
    typed = form.model_dump()
    thresholds = {g: v for g in THRESHOLD_GRADES if (v := _number(typed[g])) is not None}
    try:
        models.save_settings(
            uow=uow, actor=actor, grade_basis=form.grade_basis, thresholds=thresholds,
            now=fenpei.now(),
        )  # fmt: skip
        uow.commit()
    except ValidationFailed as refused:
        uow.rollback()
        t = translator(page_language(request))
        errors: dict[str, str] = {}
        for error in refused.errors:
            errors.setdefault(error.field.removeprefix("thresholds."), said(t, error.message))
        return _page(request, uow, user, typed=typed, errors=errors, status_code=422)
    return RedirectResponse("/admin/scoring?done=settings", status_code=303)
