"""The retrain-models job's service: a new version of each learned kind in use, activated
only when its held-out Brier score is no worse than the active version's."""

from __future__ import annotations

from fenpei.domain.scoring import ModelKind, ScoreModel
from fenpei.services.scoring.retraining import TOLERANCE, retrain_models
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services.test_scoring_training import _history


def _active(uow: FakeUnitOfWork, clock: FixedClock, kind: ModelKind, brier: float) -> ScoreModel:
    def add() -> ScoreModel:
        model = ScoreModel(kind=kind, version=uow.score_models.next_version(kind), name="old",
                           params={"algorithm": "prior", "p": 0.5}, metrics={"brier": brier},
                           created_at=clock.now())  # fmt: skip
        uow.score_models.add(model)
        uow.score_models.activate(model, at=clock.now())
        return model

    return in_transaction(uow, add)


def test_a_better_version_replaces_the_active_one_and_a_worse_one_waits(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _history(uow, clock)
    _active(uow, clock, ModelKind.score, brier=0.99)  # anything learned beats this
    old_affinity = _active(uow, clock, ModelKind.affinity, brier=0.0)  # nothing beats this

    done = retrain_models(uow_factory=lambda: uow, now=clock.now())

    with uow:
        score = uow.score_models.active(ModelKind.score)
        affinity = uow.score_models.active(ModelKind.affinity)
        versions = uow.score_models.versions(ModelKind.affinity)
    assert score is not None and score.version == 2 and score.params["algorithm"] == "logistic"
    assert score.metrics["brier"] < 0.99
    assert affinity is not None and affinity.id == old_affinity.id  # the new one waits
    assert [(v.version, v.active) for v in versions] == [(2, False), (1, True)]
    assert versions[0].metrics["brier"] > TOLERANCE
    assert done.activated == ["score v2"] and done.kept_inactive == ["affinity v2"]


def test_a_kind_nobody_activated_is_left_alone(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    _history(uow, clock, n=60)

    done = retrain_models(uow_factory=lambda: uow, now=clock.now())

    with uow:
        assert uow.score_models.versions() == []
    assert done.summary() == "score: none active; affinity: none active"


def test_too_little_history_skips_the_kind_and_keeps_the_active_version(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _history(uow, clock, n=10)
    kept = _active(uow, clock, ModelKind.score, brier=0.2)

    done = retrain_models(uow_factory=lambda: uow, now=clock.now())

    with uow:
        active = uow.score_models.active(ModelKind.score)
        assert active is not None and active.id == kept.id
        assert len(uow.score_models.versions(ModelKind.score)) == 1
    assert done.skipped[0].startswith("score: history")
