"""Score model versions and the grade settings in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from fenpei.domain.customers import Customer
from fenpei.domain.scoring import ModelKind, ScoreModel, ScoringSettings
from tests.fakes.store import Store


class FakeScoreModels:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, model: ScoreModel) -> None:
        self._store.add(self._store.score_models, model)

    def get(self, model_id: int) -> ScoreModel | None:
        return self._store.score_models.rows.get(model_id)

    def versions(self, kind: ModelKind | None = None) -> list[ScoreModel]:
        found = [m for m in self._store.score_models if kind is None or m.kind is kind]
        return sorted(found, key=lambda m: (m.kind.value, -m.version))

    def active(self, kind: ModelKind) -> ScoreModel | None:
        return next((m for m in self._store.score_models if m.kind is kind and m.active), None)

    def next_version(self, kind: ModelKind) -> int:
        return 1 + max((m.version for m in self._store.score_models if m.kind is kind), default=0)

    def activate(self, model: ScoreModel, *, at: datetime) -> None:
        for other in self._store.score_models:
            if other.kind is model.kind and other is not model:
                other.active = False
        model.active, model.activated_at = True, at

    def deactivate(self, kind: ModelKind) -> None:
        for model in self._store.score_models:
            if model.kind is kind:
                model.active = False

    def settings(self) -> ScoringSettings:
        kept = self._store.scoring_settings
        return replace(kept, thresholds=dict(kept.thresholds)) if kept else ScoringSettings()

    def save_settings(self, settings: ScoringSettings) -> None:
        self._store.scoring_settings = replace(settings, thresholds=dict(settings.thresholds))

    def _stale(self, before: datetime | None) -> list[Customer]:
        return sorted(
            (
                c
                for c in self._store.customers
                if c.deleted_at is None
                and (c.scored_at is None or (before is not None and c.scored_at < before))
            ),
            key=lambda c: c.id or 0,
        )

    def stale_customers(
        self, *, before: datetime | None, after_id: int, limit: int
    ) -> list[Customer]:
        return [c for c in self._stale(before) if (c.id or 0) > after_id][:limit]

    def count_stale(self, *, before: datetime | None) -> int:
        return len(self._stale(before))
