"""Training and evaluating learned models through the service, on the fakes."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.errors import PermissionDenied, ValidationFailed
from fenpei.domain.org import Rep, Team
from fenpei.domain.scoring import ModelKind
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.engine.scoring.loading import load_model
from fenpei.services.scoring.training import evaluate_models, load_examples, train_model
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import bad_fields


def _history(uow: FakeUnitOfWork, clock: FixedClock, n: int = 400) -> list[Rep]:
    """Closed customers over the past 400 days: retail is won far more often than energy,
    and rep 0 wins retail best (90% against 60%). Plus open customers, which are not history."""
    rng = np.random.default_rng(5)

    def build() -> list[Rep]:
        team = Team(name="East")
        uow.teams.add(team)
        reps = [Rep(name=f"rep {i}", team_id=team.id) for i in range(3)]
        for rep in reps:
            uow.reps.add(rep)
        for i in range(n):
            industry = "retail" if i % 2 else "energy"
            rep = reps[i % 3]
            p = 0.6 if industry == "retail" else 0.25
            p += 0.3 if (rep is reps[0] and industry == "retail") else 0.0
            won = bool(rng.random() < p)
            closed = clock.now() - timedelta(days=400 - i)
            uow.customers.add(
                Customer(name=f"c{i}", industry=industry, stage=Stage.won if won else Stage.lost,
                         owner_id=rep.id, closed_at=closed, created_at=closed, updated_at=closed)
            )  # fmt: skip
        uow.customers.add(
            Customer(
                name="open", stage=Stage.contacted, created_at=clock.now(), updated_at=clock.now()
            )
        )
        return reps

    return in_transaction(uow, build)


def test_load_examples_reads_closed_customers_with_owner_team_and_close_time(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    reps = _history(uow, clock, n=30)
    with uow:
        examples = load_examples(uow=uow)
        earlier = load_examples(uow=uow, until=clock.now() - timedelta(days=380))
    assert len(examples) == 30
    assert [e.at for e in examples] == sorted(e.at for e in examples)
    assert {e.rep_id for e in examples} == {r.id for r in reps}
    assert {e.team_id for e in examples} == {reps[0].team_id}
    assert len(earlier) == 20 and all(e.at < clock.now() - timedelta(days=380) for e in earlier)


def test_training_keeps_an_inactive_version_with_its_evaluation_and_audits_it(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _history(uow, clock)
    split = clock.now() - timedelta(days=100)
    model = in_transaction(
        uow,
        lambda: train_model(uow=uow, kind="score", actor=SYSTEM, now=clock.now(), split_at=split),
    )

    assert (model.kind, model.version, model.active) == (ModelKind.score, 1, False)
    assert model.name == "score v1"
    assert model.metrics["split_at"] == split.isoformat()
    assert model.metrics["rows"] == 300 and model.metrics["test_rows"] == 100
    assert model.metrics["trained_on"] == 400
    assert set(model.metrics["baselines"]) == {"naive_bayes", "logistic", "constant"}
    assert model.metrics["auc"] > 0.65
    assert sum(b["n"] for b in model.metrics["calibration"]) == 100
    scorer = load_model(model.params)
    retail, energy = Customer(name="r", industry="retail"), Customer(name="e", industry="energy")
    assert scorer.p_win(retail) > 0.6 > 0.4 > scorer.p_win(energy)  # type: ignore[call-arg]
    with uow:
        assert [m.id for m in uow.score_models.versions(ModelKind.score)] == [model.id]
        assert uow.score_models.active(ModelKind.score) is None
    entries, _ = uow.audit.search(action="train")
    assert len(entries) == 1
    assert entries[0].after["version"] == 1 and entries[0].after["metrics"]["test_rows"] == 100


def test_training_an_affinity_can_activate_it_and_learns_the_rep_who_wins_retail(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    reps = _history(uow, clock, n=900)
    model = in_transaction(
        uow,
        lambda: train_model(
            uow=uow,
            kind=ModelKind.affinity,
            actor=SYSTEM,
            now=clock.now(),
            name="  spring  ",
            activate=True,
        ),
    )

    assert (
        model.active and model.name == "spring" and model.params["algorithm"] == "affinity_logistic"
    )
    assert "segment_table" in model.metrics["baselines"]
    assert set(model.metrics["per_rep"]) <= {str(r.id) for r in reps}
    p = load_model(model.params).p_win(Customer(name="r", industry="retail"), [r.id for r in reps])  # type: ignore[call-arg, arg-type]
    assert p[reps[0].id] == max(p.values())
    with uow:
        assert uow.score_models.active(ModelKind.affinity).id == model.id  # type: ignore[union-attr]


def test_evaluating_stores_nothing(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    _history(uow, clock)
    report = in_transaction(uow, lambda: evaluate_models(uow=uow, now=clock.now(), kind="affinity"))
    assert report.kind == "affinity" and report.test_rows > 0
    assert report.learned["auc"] is not None
    with uow:
        assert uow.score_models.versions() == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "scorecard"}, "kind"),
        ({"kind": "magic"}, "kind"),
        ({"kind": "score", "split_at_days": 1000}, "split_at"),
        ({"kind": "score", "split_at_days": -5}, "split_at"),
        ({"kind": "score", "name": " "}, "name"),
    ],
)
def test_bad_requests_name_the_field_and_store_nothing(
    uow: FakeUnitOfWork, clock: FixedClock, kwargs: dict[str, object], field: str
) -> None:
    _history(uow, clock, n=100)
    days = kwargs.pop("split_at_days", None)
    split = clock.now() - timedelta(days=days) if isinstance(days, int) else None
    with pytest.raises(ValidationFailed) as caught, uow:
        train_model(uow=uow, actor=SYSTEM, now=clock.now(), split_at=split, **kwargs)  # type: ignore[arg-type]
    assert bad_fields(caught.value) == {field}
    with uow:
        assert uow.score_models.versions() == []


def test_training_needs_a_history_with_both_outcomes(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    with pytest.raises(ValidationFailed) as caught, uow:
        train_model(uow=uow, kind="score", actor=SYSTEM, now=clock.now())
    assert bad_fields(caught.value) == {"history"}


def test_only_an_admin_trains(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    _history(uow, clock, n=50)
    with pytest.raises(PermissionDenied), uow:
        train_model(uow=uow, kind="score", actor=Actor("m", Role.manager), now=clock.now())


def test_a_choice_custom_field_is_read_by_the_model(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    def build() -> None:
        uow.custom_fields.add(CustomField("channel", "Channel", FieldKind.choice, ["shop", "web"]))
        uow.custom_fields.add(CustomField("note", "Note", FieldKind.text))
        for i in range(200):
            closed = clock.now() - timedelta(days=200 - i)
            channel = "shop" if i % 2 else "web"
            won = (i % 2 == 1) == (i % 7 != 0)  # shop mostly won, web mostly lost
            uow.customers.add(
                Customer(name=f"c{i}", custom={"channel": channel, "note": "ab"[i % 3 == 0]},
                         stage=Stage.won if won else Stage.lost, closed_at=closed,
                         created_at=closed, updated_at=closed)
            )  # fmt: skip

    in_transaction(uow, build)
    model = in_transaction(
        uow, lambda: train_model(uow=uow, kind="score", actor=SYSTEM, now=clock.now())
    )
    assert "custom.channel" in model.params["spec"]["fields"]
    assert "custom.note" not in model.params["spec"]["fields"]  # free text is not a feature
    assert model.metrics["auc"] > 0.8
