"""Model versions and grade settings: add a scorecard version, list, activate, deactivate,
read and save the grade settings, and explain a customer's score.

Versions are never edited: saving a changed scorecard adds a version. Activating refuses
params that do not load, so a broken version never reaches a customer. Activating or
changing the settings leaves every customer stale; the ``rescore-all`` job (or
``fenpei model rescore``) catches them up (``rescore.rescore_stale``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from fenpei.domain.customers import Customer
from fenpei.domain.errors import NotFound, ValidationFailed
from fenpei.domain.scoring import (
    GradeBasis,
    ModelKind,
    ScoreModel,
    ScoringSettings,
    check_thresholds,
    grade_of,
    graded_value,
)
from fenpei.domain.users import Actor
from fenpei.engine.fields import field_catalog
from fenpei.engine.scoring.contract import Contribution
from fenpei.engine.scoring.loading import load_model
from fenpei.engine.scoring.scorecard import build_scorecard
from fenpei.services import _audit
from fenpei.services.customers import read_customer
from fenpei.services.ports import UnitOfWork
from fenpei.services.scope import require_admin, require_overseer
from fenpei.services.scoring.rescore import compile_scorecard

MAX_NAME = 100
MAX_NOTE = 1000


def _text(value: object, name: str, limit: int, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationFailed.one(name, "is required")
        return None
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise ValidationFailed.one(name, f"must be text of at most {limit} characters")
    return value.strip()


def parse_kind(value: str) -> ModelKind:
    """The model kind ``value`` names; ValidationFailed on ``kind`` listing them otherwise."""
    try:
        return ModelKind(value.strip().lower())
    except ValueError:
        known = ", ".join(k.value for k in ModelKind)
        raise ValidationFailed.one("kind", f"is not a model kind (one of {known})") from None


def list_versions(
    *, uow: UnitOfWork, actor: Actor, kind: ModelKind | None = None
) -> list[ScoreModel]:
    """Every version (of ``kind``, or of every kind), newest first."""
    require_overseer(actor, "see the scoring models")
    return uow.score_models.versions(kind)


def get_version(*, uow: UnitOfWork, actor: Actor, model_id: int) -> ScoreModel:
    """One version with its params and metrics."""
    require_overseer(actor, "see the scoring models")
    model = uow.score_models.get(model_id)
    if model is None:
        raise NotFound("score model", model_id)
    return model


def check_loads(*, uow: UnitOfWork, kind: ModelKind, params: Mapping[str, object]) -> None:
    """ValidationFailed on ``params`` unless a model of ``kind`` loads from them."""
    if kind is ModelKind.scorecard:
        if params.get("algorithm") != "scorecard":
            raise ValidationFailed.one("params.algorithm", "a scorecard's must be 'scorecard'")
        build_scorecard(params, field_catalog(uow.custom_fields.all()))
        return
    try:
        load_model(params)
    except ValueError as exc:
        raise ValidationFailed.one("params", str(exc)[:500]) from None


def add_version(
    *,
    uow: UnitOfWork,
    actor: Actor,
    kind: ModelKind,
    name: str,
    params: Mapping[str, object],
    now: datetime,
    metrics: Mapping[str, object] | None = None,
    note: str | None = None,
) -> ScoreModel:
    """Keep a new version of ``kind`` (params checked to load); not active until activated."""
    require_admin(actor, "add scoring models")
    if not isinstance(params, Mapping):
        raise ValidationFailed.one("params", "needs an object")
    clean_name = _text(name, "name", MAX_NAME, required=True)
    clean_note = _text(note, "note", MAX_NOTE, required=False)
    check_loads(uow=uow, kind=kind, params=params)
    model = ScoreModel(
        kind=kind,
        version=uow.score_models.next_version(kind),
        name=clean_name or "",
        params=dict(params),
        metrics=dict(metrics or {}),
        created_by=actor.name,
        created_at=now,
        note=clean_note,
    )
    uow.score_models.add(model)
    _audit.record(uow, actor=actor, action="create", obj=model, now=now)
    return model


def save_scorecard(
    *,
    uow: UnitOfWork,
    actor: Actor,
    name: str,
    lines: object,
    base: object = 0,
    now: datetime,
    note: str | None = None,
) -> tuple[ScoreModel, bool]:
    """Save a scorecard: a new version unless it equals the newest one; (version, added)."""
    params = {"algorithm": "scorecard", "base": base, "lines": lines}
    newest = next(iter(uow.score_models.versions(ModelKind.scorecard)), None)
    if newest is not None and newest.params == params and newest.name == (name or "").strip():
        require_admin(actor, "add scoring models")
        return newest, False
    model = add_version(
        uow=uow, actor=actor, kind=ModelKind.scorecard, name=name, params=params, now=now,
        note=note,
    )  # fmt: skip
    return model, True


def activate(*, uow: UnitOfWork, actor: Actor, model_id: int, now: datetime) -> ScoreModel:
    """Make a version the active one of its kind; refused if its params do not load."""
    require_admin(actor, "activate scoring models")
    model = get_version(uow=uow, actor=actor, model_id=model_id)
    try:
        check_loads(uow=uow, kind=model.kind, params=model.params)
    except ValidationFailed as exc:
        raise ValidationFailed.one(
            "model_id", f"version {model.version} does not load: {exc}"[:500]
        ) from None
    if model.active:  # already in use: nothing changes, nothing to rescore
        return model
    before = _audit.snapshot(model)
    uow.score_models.activate(model, at=now)
    _audit.record(uow, actor=actor, action="activate", obj=model, now=now, before=before)
    return model


def deactivate(*, uow: UnitOfWork, actor: Actor, kind: ModelKind, now: datetime) -> None:
    """No version of ``kind`` runs any more (values already written stay)."""
    require_admin(actor, "deactivate scoring models")
    active = uow.score_models.active(kind)
    if active is None:
        return
    before = _audit.snapshot(active)
    uow.score_models.deactivate(kind)
    active.active = False
    _audit.record(uow, actor=actor, action="deactivate", obj=active, now=now, before=before)


def read_settings(*, uow: UnitOfWork, actor: Actor) -> ScoringSettings:
    """The grade settings (basis and thresholds)."""
    require_overseer(actor, "see the grade settings")
    return uow.score_models.settings()


def save_settings(
    *,
    uow: UnitOfWork,
    actor: Actor,
    grade_basis: object,
    thresholds: object,
    now: datetime,
) -> ScoringSettings:
    """Change how grades follow from scores; every customer is regraded by the job."""
    require_admin(actor, "change the grade settings")
    try:
        basis = GradeBasis(str(grade_basis))
    except ValueError:
        known = ", ".join(b.value for b in GradeBasis)
        raise ValidationFailed.one("grade_basis", f"must be one of {known}") from None
    if not isinstance(thresholds, Mapping):
        raise ValidationFailed.one("thresholds", 'needs an object such as {"A": 80}')
    checked = check_thresholds(thresholds)
    old = uow.score_models.settings()
    new = ScoringSettings(
        grade_basis=basis, thresholds=checked, updated_by=actor.name, updated_at=now
    )
    uow.score_models.save_settings(new)
    _audit.record(
        uow, actor=actor, action="update", obj=new, now=now, before=_audit.snapshot(old),
        object_id="scoring",
    )  # fmt: skip
    return replace(new)


@dataclass(frozen=True)
class Explanation:
    """Why a customer has its score: the scorecard lines it meets and the learned model's
    top factors, with the values now stored and the grade they give."""

    customer: Customer
    scorecard: ScoreModel | None
    lines: Sequence[Contribution]
    model: ScoreModel | None
    factors: Sequence[Contribution]
    grade_basis: GradeBasis
    graded: float | None
    grade: str | None


def explain(
    *, uow: UnitOfWork, actor: Actor, customer_id: int, now: datetime, top: int = 3
) -> Explanation:
    """Why a customer (one ``actor`` may see) scores what it does."""
    customer = read_customer(uow=uow, customer_id=customer_id, actor=actor)
    card = uow.score_models.active(ModelKind.scorecard)
    learned = uow.score_models.active(ModelKind.score)
    lines: Sequence[Contribution] = ()
    if card is not None:
        compiled = compile_scorecard(card, uow.custom_fields.all())
        lines = compiled.factors(customer, top=0, now=now)
    factors: Sequence[Contribution] = ()
    if learned is not None:
        model = load_model(learned.params)
        factors = model.factors(customer, top=top)  # type: ignore[call-arg]
    settings = uow.score_models.settings()
    value = graded_value(
        settings.grade_basis, score=customer.score, win_probability=customer.win_probability
    )
    return Explanation(
        customer=customer,
        scorecard=card,
        lines=lines,
        model=learned,
        factors=factors,
        grade_basis=settings.grade_basis,
        graded=value,
        grade=grade_of(value, settings.thresholds),
    )


def top_reasons(
    *, uow: UnitOfWork, customers: Sequence[Customer], now: datetime, top: int = 3
) -> dict[int, list[Contribution]]:
    """The ``top`` reasons for each of ``customers``' scores (already shown to the caller):
    scorecard lines met, then the learned model's factors; models loaded once."""
    card = uow.score_models.active(ModelKind.scorecard)
    learned = uow.score_models.active(ModelKind.score)
    compiled = compile_scorecard(card, uow.custom_fields.all()) if card is not None else None
    model = load_model(learned.params) if learned is not None else None
    found: dict[int, list[Contribution]] = {}
    for customer in customers:
        if customer.id is None:
            continue
        parts = list(compiled.factors(customer, top=top, now=now)) if compiled else []
        if model is not None and len(parts) < top:
            parts += model.factors(customer, top=top - len(parts))  # type: ignore[call-arg]
        found[customer.id] = parts
    return found
