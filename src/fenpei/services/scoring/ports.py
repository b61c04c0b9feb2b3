"""What scoring needs from storage (adapters/db/repositories/scoring.py, tests/fakes/scoring.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from fenpei.domain.customers import Customer
from fenpei.domain.scoring import ModelKind, ScoreModel, ScoringSettings


class ScoreModelRepository(Protocol):
    def add(self, model: ScoreModel) -> None:
        """Keep a new version (its ``version`` given by ``next_version``)."""
        ...

    def get(self, model_id: int) -> ScoreModel | None: ...

    def versions(self, kind: ModelKind | None = None) -> list[ScoreModel]:
        """Every version of ``kind`` (or of every kind), newest first."""
        ...

    def active(self, kind: ModelKind) -> ScoreModel | None:
        """The version of ``kind`` in use, if any."""
        ...

    def next_version(self, kind: ModelKind) -> int:
        """The number the next version of ``kind`` gets (1 for the first)."""
        ...

    def activate(self, model: ScoreModel, *, at: datetime) -> None:
        """Make ``model`` the active version of its kind (the previous one stops)."""
        ...

    def deactivate(self, kind: ModelKind) -> None:
        """No version of ``kind`` is active any more."""
        ...

    def settings(self) -> ScoringSettings:
        """The grade settings saved, or the defaults."""
        ...

    def save_settings(self, settings: ScoringSettings) -> None: ...

    def stale_customers(
        self, *, before: datetime | None, after_id: int, limit: int
    ) -> list[Customer]:
        """Up to ``limit`` live customers with an id above ``after_id``, never scored or
        scored before ``before``, lowest id first (the rescore-all job's batches)."""
        ...

    def count_stale(self, *, before: datetime | None) -> int:
        """How many live customers ``stale_customers`` would go through."""
        ...
