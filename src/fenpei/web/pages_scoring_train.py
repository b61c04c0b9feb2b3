"""训练模型 (train a learned model): choose the kind and the time split, train, and read
how the new version did against its baselines — AUC and Brier score, a calibration chart,
calibration per rep. Admins only. Training keeps a new *inactive* version; the versions
page (/admin/scoring) activates it. A bad value re-renders the form with the problem
beside its field (422, nothing stored)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.scoring import ModelKind, ScoreModel
from fenpei.domain.users import User
from fenpei.http.deps import CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.services import scope
from fenpei.services.ports import UnitOfWork
from fenpei.services.scoring.training import train_model
from fenpei.web.rendering import render

router = APIRouter(include_in_schema=False)
KINDS = ("score", "affinity")
MODEL_ORDER = ("learned", "naive_bayes", "logistic", "segment_table", "constant")
# The chart: a square of SIDE units with a margin for the axes' labels.
SIDE, MARGIN = 240, 52


class TrainForm(BaseModel):
    kind: str = Field(default="score", max_length=20)
    split_at: str = Field(default="", max_length=20)
    name: str = Field(default="", max_length=200)


def calibration_points(bins: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each calibration bin as a point of the chart (predicted → x, observed → y), its
    radius growing with how many customers it holds."""
    most = max((b["n"] for b in bins), default=1)
    return [
        {
            "x": round(MARGIN + b["predicted"] * SIDE, 1),
            "y": round(MARGIN + (1 - b["observed"]) * SIDE, 1),
            "r": round(3 + 7 * (b["n"] / most) ** 0.5, 1),
            "predicted": b["predicted"],
            "observed": b["observed"],
            "n": b["n"],
        }
        for b in bins
    ]


def _results(uow: UnitOfWork, model: ScoreModel) -> dict[str, Any]:
    m = model.metrics
    rows = {"learned": m, **m.get("baselines", {})}
    names = {str(r.id): r.name for r in uow.reps.all()}
    per_rep = sorted(
        (
            {"rep": names.get(rep, rep), **row, "gap": row["predicted"] - row["observed"]}
            for rep, row in m.get("per_rep", {}).items()
        ),
        key=lambda r: -abs(r["gap"]),
    )
    return {
        "model": model,
        "figures": m,
        "rows": [(name, rows[name]) for name in MODEL_ORDER if name in rows],
        "points": calibration_points(m.get("calibration", [])),
        "per_rep": per_rep,
    }


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    *,
    form: TrainForm | None = None,
    errors: dict[str, str] | None = None,
    model: ScoreModel | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "user": user,
        "active": "admin",
        "kinds": KINDS,
        "form": form or TrainForm(),
        "errors": errors or {},
        "side": SIDE,
        "margin": MARGIN,
        "results": _results(uow, model) if model is not None else None,
    }
    return render(request, "scoring/train.html", context, status_code=status_code)


@router.get("/admin/scoring/train")
def train_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    model: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """The training form, and a trained version's evaluation (``?model=``)."""
    scope.require_admin(actor_of(user), "train models")
    found = uow.score_models.get(model) if model is not None else None
    if found is not None and found.kind not in (ModelKind.score, ModelKind.affinity):
        found = None
    return _page(request, uow, user, model=found)


def _split(text: str) -> datetime | None:
    if not text.strip():
        return None
    day = date.fromisoformat(text.strip())
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@router.post("/admin/scoring/train")
def train(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    form: Annotated[TrainForm, Form()],
) -> Response:
    """Train a new inactive version and show its evaluation."""
    actor = actor_of(user)
    scope.require_admin(actor, "train models")
    try:
        split_at = _split(form.split_at)
    except ValueError:
        return _page(request, uow, user, form=form, errors={"split_at": "format"}, status_code=422)
    try:
        model = train_model(
            uow=uow,
            kind=form.kind,
            actor=actor,
            now=fenpei.now(),
            split_at=split_at,
            name=form.name or None,
        )
        uow.commit()
    except ValidationFailed as refused:
        uow.rollback()
        errors = {e.field: e.field for e in refused.errors}
        return _page(request, uow, user, form=form, errors=errors, status_code=422)
    return RedirectResponse(f"/admin/scoring/train?model={model.id}", status_code=303)
