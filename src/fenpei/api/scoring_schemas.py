"""Request and response shapes of scoring (评分): model versions, grade settings, why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fenpei.domain.scoring import GradeBasis, ModelKind, ScoreModel, ScoringSettings
from fenpei.engine.scoring.contract import Contribution
from fenpei.engine.scoring.scorecard import MAX_LABEL, MAX_LINES, MAX_POINTS
from fenpei.services.scoring.models import MAX_NAME, MAX_NOTE, Explanation

_SUMMARY_METRICS = ("auc", "brier", "log_loss", "rows", "test_rows", "split_at")


class ScoreModelRead(BaseModel):
    id: int
    kind: ModelKind
    version: int
    name: str
    active: bool
    created_by: str
    created_at: datetime | None
    activated_at: datetime | None
    note: str | None
    summary: dict[str, Any] = Field(
        description="The headline metrics (auc, brier, log_loss, rows, …) and each "
        "baseline's auc and brier, when training measured them."
    )

    @classmethod
    def of(cls, model: ScoreModel) -> ScoreModelRead:
        summary = {k: model.metrics[k] for k in _SUMMARY_METRICS if k in model.metrics}
        if isinstance(baselines := model.metrics.get("baselines"), dict):
            summary["baselines"] = baselines
        assert model.id is not None
        return cls(
            id=model.id, kind=model.kind, version=model.version, name=model.name,
            active=model.active, created_by=model.created_by, created_at=model.created_at,
            activated_at=model.activated_at, note=model.note, summary=summary,
        )  # fmt: skip


class ScoreModelDetail(ScoreModelRead):
    params: dict[str, Any]
    metrics: dict[str, Any]

    @classmethod
    def full(cls, model: ScoreModel) -> ScoreModelDetail:
        read = ScoreModelRead.of(model)
        return cls(**read.model_dump(), params=model.params, metrics=model.metrics)


class ScorecardLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conditions: dict[str, Any] = Field(
        description="A condition tree in the rule language; {} matches everyone."
    )
    points: float = Field(ge=-MAX_POINTS, le=MAX_POINTS, allow_inf_nan=False)
    label: str = Field(default="", max_length=MAX_LABEL)


class ScorecardCreate(BaseModel):
    """A scorecard (打分卡): a new version, unless it equals the newest one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "线索打分",
                    "base": 10,
                    "lines": [
                        {
                            "label": "零售大客户",
                            "points": 30,
                            "conditions": {"all": [
                                {"field": "industry", "op": "eq", "value": "retail"},
                                {"field": "employees", "op": "gte", "value": 500},
                            ]},
                        },
                        {"label": "官网来源", "points": 10,
                         "conditions": {"field": "source", "op": "eq", "value": "web"}},
                    ],
                }
            ]
        },
    )  # fmt: skip

    name: str = Field(min_length=1, max_length=MAX_NAME)
    base: float = Field(default=0, ge=-MAX_POINTS, le=MAX_POINTS, allow_inf_nan=False)
    lines: list[ScorecardLine] = Field(max_length=MAX_LINES)
    note: str | None = Field(default=None, max_length=MAX_NOTE)
    activate: bool = Field(default=False, description="Make it the active scorecard too.")


class ScorecardSaved(BaseModel):
    model: ScoreModelRead
    added: bool = Field(description="False: it equals the newest version, kept as it was.")


class ModelDeactivate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ModelKind


class GradeSettingsRead(BaseModel):
    grade_basis: GradeBasis
    thresholds: dict[str, float]
    updated_by: str | None
    updated_at: datetime | None

    @classmethod
    def of(cls, settings: ScoringSettings) -> GradeSettingsRead:
        return cls(
            grade_basis=settings.grade_basis, thresholds=dict(settings.thresholds),
            updated_by=settings.updated_by, updated_at=settings.updated_at,
        )  # fmt: skip


class GradeSettingsUpdate(BaseModel):
    """The lowest value of each grade, best first; anything lower is D. With basis
    ``win_probability`` the values are percentages (A from 60 = p ≥ 0.6)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"grade_basis": "score", "thresholds": {"A": 80, "B": 60, "C": 40}}]
        },
    )

    grade_basis: GradeBasis
    thresholds: GradeThresholds


class GradeThresholds(BaseModel):
    """Each grade's lowest value; a grade left out is skipped (its customers get the next)."""

    model_config = ConfigDict(extra="forbid")

    A: float | None = Field(default=None, allow_inf_nan=False)
    B: float | None = Field(default=None, allow_inf_nan=False)
    C: float | None = Field(default=None, allow_inf_nan=False)

    def given(self) -> dict[str, float]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class ContributionRead(BaseModel):
    feature: str
    value: str
    effect: float = Field(description="Points (scorecard) or log-odds (learned model).")

    @classmethod
    def of(cls, part: Contribution) -> ContributionRead:
        return cls(feature=part.feature, value=part.value, effect=part.effect)


class ScoreExplanationRead(BaseModel):
    customer_id: int
    score: float | None
    win_probability: float | None
    grade: str | None
    scored_at: datetime | None
    grade_basis: GradeBasis
    scorecard_version: int | None
    model_version: int | None
    lines: list[ContributionRead] = Field(description="The scorecard lines the customer meets.")
    factors: list[ContributionRead] = Field(description="The learned model's top factors.")

    @classmethod
    def of(cls, why: Explanation) -> ScoreExplanationRead:
        customer = why.customer
        assert customer.id is not None
        return cls(
            customer_id=customer.id, score=customer.score,
            win_probability=customer.win_probability, grade=customer.grade,
            scored_at=customer.scored_at, grade_basis=why.grade_basis,
            scorecard_version=why.scorecard.version if why.scorecard else None,
            model_version=why.model.version if why.model else None,
            lines=[ContributionRead.of(p) for p in why.lines],
            factors=[ContributionRead.of(p) for p in why.factors],
        )  # fmt: skip


class RescoreRead(BaseModel):
    looked_at: int
    changed: int
