"""Score model versions on SQLite and PostgreSQL: one active version per kind, and the
routing configuration picks up a new active affinity model at once (its stamp moves)."""

from __future__ import annotations

import pytest

from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import FenpeiError
from fenpei.domain.scoring import GradeBasis, ModelKind, ScoreModel, ScoringSettings
from fenpei.services.rulebook import RuleBook


def _version(app: Fenpei, p: float) -> int:
    with app.uow() as uow:
        kind = ModelKind.affinity
        model = ScoreModel(kind=kind, version=uow.score_models.next_version(kind),
                           name=f"prior {p}", params={"algorithm": "prior", "p": p},
                           created_at=app.now())  # fmt: skip
        uow.score_models.add(model)
        uow.commit()
        assert model.id is not None
        return model.id


def _activate(app: Fenpei, model_id: int) -> None:
    with app.uow() as uow:
        model = uow.score_models.get(model_id)
        assert model is not None
        uow.score_models.activate(model, at=app.now())
        uow.commit()


def test_one_version_per_kind_is_active_and_routing_sees_the_switch(app: Fenpei) -> None:
    first, second = _version(app, 0.2), _version(app, 0.6)
    book = RuleBook()

    with app.uow() as uow:
        assert book.config(uow, now=app.now()).affinity is None
    _activate(app, first)
    with app.uow() as uow:
        affinity = book.config(uow, now=app.now()).affinity
        assert affinity is not None and affinity.p_win(object(), [7]) == {7: 0.2}  # type: ignore[arg-type]
    _activate(app, second)
    _activate(app, second)  # again: it stays the active one

    with app.uow() as uow:
        assert [(m.version, m.active) for m in uow.score_models.versions(ModelKind.affinity)] == [
            (2, True),
            (1, False),
        ]
        affinity = book.config(uow, now=app.now()).affinity
        assert affinity is not None and affinity.p_win(object(), [7]) == {7: 0.6}  # type: ignore[arg-type]


def test_the_database_refuses_two_active_versions_of_a_kind(app: Fenpei) -> None:
    first, second = _version(app, 0.2), _version(app, 0.3)
    _activate(app, first)

    with pytest.raises(FenpeiError), app.uow() as uow:
        model = uow.score_models.get(second)
        assert model is not None
        model.active = True  # behind activate()'s back
        uow.commit()


def test_grade_settings_are_kept(app: Fenpei) -> None:
    with app.uow() as uow:
        assert uow.score_models.settings().grade_basis is GradeBasis.score
        uow.score_models.save_settings(
            ScoringSettings(GradeBasis.win_probability, {"A": 50, "B": 30, "C": 10}, "admin")
        )
        uow.commit()
    with app.uow() as uow:
        kept = uow.score_models.settings()
    assert kept.grade_basis is GradeBasis.win_probability
    assert kept.thresholds == {"A": 50, "B": 30, "C": 10}


def test_routing_keeps_the_scoring_until_the_grade_settings_change(app: Fenpei) -> None:
    book = RuleBook()
    with app.uow() as uow:
        before = book.config(uow, now=app.now())
    with app.uow() as uow:
        assert book.config(uow, now=app.now()) is before  # same stamp: the kept copy
        uow.score_models.save_settings(ScoringSettings(GradeBasis.score, {"A": 90}, "admin"))
        uow.commit()
    with app.uow() as uow:
        after = book.config(uow, now=app.now())
    assert before.scoring is not None and before.scoring.settings.thresholds["A"] == 80
    assert after.scoring is not None and after.scoring.settings.thresholds == {"A": 90}
