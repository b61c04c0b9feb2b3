"""Score model versions (one active per kind) and the grade settings."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.customers import Customer
from fenpei.domain.scoring import GradeBasis, ModelKind, ScoreModel, ScoringSettings

_SETTINGS_ID = 1


class SqlScoreModels(Repository):
    def add(self, model: ScoreModel) -> None:
        self.session.add(model)
        self.session.flush()

    def get(self, model_id: int) -> ScoreModel | None:
        return self.session.get(ScoreModel, model_id)

    def versions(self, kind: ModelKind | None = None) -> list[ScoreModel]:
        c = t.score_models.c
        query = sa.select(ScoreModel).order_by(c.kind, c.version.desc())
        if kind is not None:
            query = query.where(c.kind == kind)
        return list(self.session.scalars(query))

    def active(self, kind: ModelKind) -> ScoreModel | None:
        c = t.score_models.c
        query = sa.select(ScoreModel).where(c.kind == kind, c.active.is_(True))
        return self.session.scalars(query).first()

    def next_version(self, kind: ModelKind) -> int:
        c = t.score_models.c
        top = self.session.scalar(sa.select(sa.func.max(c.version)).where(c.kind == kind))
        return int(top or 0) + 1

    def activate(self, model: ScoreModel, *, at: datetime) -> None:
        # The old version stops first: the unique index allows one active row per kind.
        self._stop(model.kind, keep=model.id)
        model.active, model.activated_at = True, at
        self.session.flush()

    def deactivate(self, kind: ModelKind) -> None:
        self._stop(kind, keep=None)

    def _stop(self, kind: ModelKind, *, keep: int | None) -> None:
        c = t.score_models.c
        others = c.id != keep if keep is not None else sa.true()
        self.session.execute(
            sa.update(t.score_models)
            .where(c.kind == kind, c.active.is_(True), others)
            .values(active=False)
            .execution_options(synchronize_session="fetch")
        )

    def settings(self) -> ScoringSettings:
        row = self.session.execute(
            sa.select(t.scoring_settings).where(t.scoring_settings.c.id == _SETTINGS_ID)
        ).first()
        if row is None:
            return ScoringSettings()
        return ScoringSettings(
            grade_basis=GradeBasis(row.grade_basis),
            thresholds=dict(row.thresholds),
            updated_by=row.updated_by,
            updated_at=row.updated_at,
        )

    def save_settings(self, settings: ScoringSettings) -> None:
        table = t.scoring_settings
        values = {
            "grade_basis": settings.grade_basis.value,
            "thresholds": dict(settings.thresholds),
            "updated_by": settings.updated_by,
            "updated_at": settings.updated_at,
        }
        changed = self.session.execute(
            sa.update(table).where(table.c.id == _SETTINGS_ID).values(**values)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            self.session.execute(sa.insert(table).values(id=_SETTINGS_ID, **values))

    def _stale(self, before: datetime | None) -> sa.ColumnElement[bool]:
        c = t.customers.c
        never = c.scored_at.is_(None)
        stale = never if before is None else sa.or_(never, c.scored_at < before)
        return sa.and_(c.deleted_at.is_(None), stale)

    def stale_customers(
        self, *, before: datetime | None, after_id: int, limit: int
    ) -> list[Customer]:
        c = t.customers.c
        query = (
            sa.select(Customer)
            .where(self._stale(before), c.id > after_id)
            .order_by(c.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def count_stale(self, *, before: datetime | None) -> int:
        query = sa.select(sa.func.count()).select_from(t.customers).where(self._stale(before))
        return int(self.session.scalar(query) or 0)
