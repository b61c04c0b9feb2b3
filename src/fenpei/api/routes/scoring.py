"""Scoring (评分): model versions (list, one with its metrics, activate, deactivate), the
scorecard, the grade settings, and why a customer scores what it does. Admins change;
managers and auditors read. Token scopes ``scoring:read`` / ``scoring:write``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status

from fenpei.api.schemas import ErrorRead
from fenpei.api.scoring_schemas import (
    GradeSettingsRead,
    GradeSettingsUpdate,
    ModelDeactivate,
    ScorecardCreate,
    ScorecardSaved,
    ScoreExplanationRead,
    ScoreModelDetail,
    ScoreModelRead,
)
from fenpei.domain.scoring import ModelKind
from fenpei.http.deps import AdminActor, CurrentActor, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID
from fenpei.services.scoring import models

router = APIRouter(prefix="/scoring", tags=["scoring"])
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead},
    404: {"model": ErrorRead},
    422: {"model": ErrorRead},
}
ModelId = Annotated[int, Path(ge=1, le=MAX_ID, description="The model version's id.")]
CustomerId = Annotated[int, Path(ge=1, le=MAX_ID, description="The customer's id.")]


@router.get("/models", responses=ERRORS)
def list_models(
    uow: UowDep, actor: CurrentActor, kind: Annotated[ModelKind | None, Query()] = None
) -> list[ScoreModelRead]:
    """Every version (of ``kind``), newest first, with its headline metrics."""
    return [ScoreModelRead.of(m) for m in models.list_versions(uow=uow, actor=actor, kind=kind)]


@router.get("/models/{model_id}", responses=ERRORS)
def get_model(model_id: ModelId, uow: UowDep, actor: CurrentActor) -> ScoreModelDetail:
    """One version with its params and every metric."""
    return ScoreModelDetail.full(models.get_version(uow=uow, actor=actor, model_id=model_id))


@router.post("/models/{model_id}/activate", responses=ERRORS)
def activate_model(
    model_id: ModelId, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> ScoreModelRead:
    """Make a version its kind's active one (refused if it does not load); the
    rescore-all job then rescores every customer."""
    model = models.activate(uow=uow, actor=actor, model_id=model_id, now=fenpei.now())
    read = ScoreModelRead.of(model)
    uow.commit()
    return read


@router.post("/models/deactivate", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
def deactivate_model(
    body: ModelDeactivate, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> None:
    """Stop the active version of a kind (the values it wrote stay)."""
    models.deactivate(uow=uow, actor=actor, kind=body.kind, now=fenpei.now())
    uow.commit()


@router.post("/scorecards", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def create_scorecard(
    body: ScorecardCreate, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> ScorecardSaved:
    """Save a scorecard as a new version (and activate it if asked); every bad line is
    named (``lines[2].conditions.all[0].op``)."""
    now = fenpei.now()
    model, added = models.save_scorecard(
        uow=uow, actor=actor, name=body.name, base=body.base, now=now, note=body.note,
        lines=[line.model_dump() for line in body.lines],
    )  # fmt: skip
    if body.activate and model.id is not None:
        models.activate(uow=uow, actor=actor, model_id=model.id, now=now)
    saved = ScorecardSaved(model=ScoreModelRead.of(model), added=added)
    uow.commit()
    return saved


@router.get("/settings", responses=ERRORS)
def read_settings(uow: UowDep, actor: CurrentActor) -> GradeSettingsRead:
    """How grades follow from scores."""
    return GradeSettingsRead.of(models.read_settings(uow=uow, actor=actor))


@router.put("/settings", responses=ERRORS)
def save_settings(
    body: GradeSettingsUpdate, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> GradeSettingsRead:
    """Change the grade basis and thresholds; the rescore-all job regrades everyone."""
    settings = models.save_settings(
        uow=uow, actor=actor, grade_basis=body.grade_basis, thresholds=body.thresholds.given(),
        now=fenpei.now(),
    )  # fmt: skip
    read = GradeSettingsRead.of(settings)
    uow.commit()
    return read


@router.get("/customers/{customer_id}", responses=ERRORS)
def explain_customer(
    customer_id: CustomerId, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> ScoreExplanationRead:
    """Why a customer scores what it does: the scorecard lines it meets and the learned
    model's top factors."""
    why = models.explain(uow=uow, actor=actor, customer_id=customer_id, now=fenpei.now())
    return ScoreExplanationRead.of(why)
