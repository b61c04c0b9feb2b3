"""Retraining (the ``retrain-models`` job): each learned kind in use gets a new version
trained on the history as it stands, and it replaces the active one only if it predicts
the held-out outcomes at least as well.

"As well" is judged on what each version measured when it was made: its Brier score on
the outcomes after its own time split (``ScoreModel.metrics["brier"]``), within
``TOLERANCE``. A candidate that is worse is kept, inactive, for an admin to look at; a kind
nobody has activated is left alone (retraining is not a way to switch a model on).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.users import SYSTEM
from fenpei.services.ports import UnitOfWork
from fenpei.services.scoring.training import LEARNED_KINDS, train_model

TOLERANCE = 0.002  # Brier points: noise between two splits of the same history


@dataclass
class Retrained:
    """What a retraining run did, kind by kind (for the job's summary)."""

    activated: list[str] = field(default_factory=list)  # "score v4"
    kept_inactive: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "affinity: none active"

    def summary(self) -> str:
        parts = [f"activated {', '.join(self.activated)}"] if self.activated else []
        parts += [f"kept inactive {', '.join(self.kept_inactive)}"] if self.kept_inactive else []
        parts += self.skipped
        return "; ".join(parts) or "nothing to retrain"


def retrain_models(*, uow_factory: Callable[[], UnitOfWork], now: datetime) -> Retrained:
    """Train a new version of each active learned model; activate it if it is no worse."""
    done = Retrained()
    for kind in LEARNED_KINDS:
        with uow_factory() as uow:
            active = uow.score_models.active(kind)
            if active is None:
                done.skipped.append(f"{kind.value}: none active")
                continue
            name = f"{kind.value} (retrained {now.date().isoformat()})"
            try:
                candidate = train_model(uow=uow, kind=kind, actor=SYSTEM, now=now, name=name)
            except ValidationFailed as refused:  # too little history, one outcome only
                done.skipped.append(f"{kind.value}: {refused}")
                continue
            label = f"{kind.value} v{candidate.version}"
            if _no_worse(candidate.metrics.get("brier"), active.metrics.get("brier")):
                uow.score_models.activate(candidate, at=now)
                done.activated.append(label)
            else:
                done.kept_inactive.append(label)
            uow.commit()
    return done


def _no_worse(candidate: object, active: object) -> bool:
    if not isinstance(candidate, int | float):
        return False
    if not isinstance(active, int | float):  # the active one measured nothing to compare
        return True
    return candidate <= active + TOLERANCE
