"""What scoring needs from storage (adapters/db/repositories/scoring.py, tests/fakes/scoring.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

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
