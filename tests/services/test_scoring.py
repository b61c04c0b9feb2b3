"""Scoring services on the fakes: versions (add, activate, deactivate), grade settings,
scores written on create / update / stage changes / follow-ups / import, before routing,
the rescore-all catch-up, and explanations."""

from __future__ import annotations

from random import Random
from typing import Any

import pytest

from fenpei.adapters.files.tabular import parse_table
from fenpei.domain.errors import PermissionDenied, ValidationFailed
from fenpei.domain.scoring import GradeBasis, ModelKind
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import org
from fenpei.services.customer_import import import_customers
from fenpei.services.customers import update_customer
from fenpei.services.follow_ups.stages import change_stage
from fenpei.services.intake import create_and_route
from fenpei.services.rulebook import RuleBook
from fenpei.services.rules import create_rule, ensure_default_rule
from fenpei.services.scoring import models, rescore
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, bad_fields, refused

ADMIN = Actor("ada", Role.admin)
MANAGER = Actor("max", Role.manager)
RETAIL = {"field": "industry", "op": "eq", "value": "retail"}
LINES = [
    {"label": "retail", "points": 50, "conditions": RETAIL},
    {"label": "big", "points": 40, "conditions": {"field": "employees", "op": "gte", "value": 500}},
]


def _scorecard(uow: FakeUnitOfWork, clock: FixedClock, lines: Any = LINES, base: Any = 0) -> int:
    def save() -> int:
        model, _ = models.save_scorecard(
            uow=uow, actor=ADMIN, name="线索打分", lines=lines, base=base, now=clock.now()
        )
        models.activate(uow=uow, actor=ADMIN, model_id=model.id or 0, now=clock.now())
        return model.id or 0

    return in_transaction(uow, save)


def _stored(uow: FakeUnitOfWork, customer_id: int | None) -> Any:
    found = uow.customers.get(customer_id or 0)
    assert found is not None
    return found


def _prior(uow: FakeUnitOfWork, clock: FixedClock, p: float) -> int:
    def add() -> int:
        model = models.add_version(
            uow=uow, actor=ADMIN, kind=ModelKind.score, name="prior",
            params={"algorithm": "prior", "p": p}, now=clock.now(),
            metrics={"auc": 0.5, "brier": 0.2, "baselines": {"nb": {"auc": 0.6}}},
        )  # fmt: skip
        models.activate(uow=uow, actor=ADMIN, model_id=model.id or 0, now=clock.now())
        return model.id or 0

    return in_transaction(uow, add)


def test_a_new_customer_is_scored_and_graded_when_created(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _scorecard(uow, clock)
    _prior(uow, clock, 0.3)

    big_retail = a_customer(uow, clock, industry="retail", employees=900)
    small = a_customer(uow, clock, industry="bank")

    assert (big_retail.score, big_retail.win_probability, big_retail.grade) == (90, 0.3, "A")
    assert (small.score, small.grade) == (0, "D")
    assert big_retail.scored_at == clock.now()


def test_with_nothing_active_a_hand_set_score_stays_and_is_graded(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    customer = a_customer(uow, clock, score=65)

    assert (customer.score, customer.win_probability, customer.grade) == (65, None, "B")
    assert customer.scored_at is None


def test_an_update_and_a_stage_change_rescore(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    _scorecard(uow, clock, lines=[*LINES, {"label": "qualified", "points": 5, "conditions": {
        "field": "stage", "op": "eq", "value": "qualified"}}])  # fmt: skip
    customer = a_customer(uow, clock, industry="bank")
    cid = customer.id or 0

    in_transaction(uow, lambda: update_customer(
        uow=uow, customer_id=cid, fields={"industry": "retail"}, actor=ADMIN, now=clock.now()
    ))  # fmt: skip
    assert _stored(uow, cid).score == 50
    in_transaction(uow, lambda: change_stage(
        uow=uow, customer_id=cid, to="qualified", reason=None, actor=ADMIN, now=clock.now()
    ))  # fmt: skip
    assert _stored(uow, cid).score == 55


def test_rescore_returns_the_changed_customers_with_their_old_values_but_not_new_ones(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _scorecard(uow, clock)
    customer = a_customer(uow, clock, industry="bank")
    cid = customer.id or 0

    def change(industry: str, created: bool = False) -> list[tuple[int | None, object, object]]:
        def run() -> list[tuple[int | None, object, object]]:
            found = uow.customers.get(cid)
            assert found is not None
            found.industry = industry
            changes = rescore.rescore(uow=uow, customers=[found], now=clock.now(), created=created)
            return [(c.customer.id, c.score, c.customer.score) for c in changes]

        return in_transaction(uow, run)

    assert change("retail") == [(cid, 0, 50)]
    assert change("retail") == []  # nothing changed
    assert change("bank", created=True) == []  # a new customer's routing follows anyway


def test_intake_scores_before_routing_so_a_rule_can_route_on_the_grade(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    def setup() -> tuple[int, int]:
        now = clock.now()
        ensure_default_rule(uow=uow, actor=SYSTEM, now=now)
        vip = org.create_rep(uow=uow, fields={"name": "VIP desk"}, actor=SYSTEM, now=now)
        other = org.create_rep(uow=uow, fields={"name": "Others"}, actor=SYSTEM, now=now)
        create_rule(uow=uow, actor=SYSTEM, now=now, fields={
            "name": "A grade", "priority": 1,
            "conditions": {"field": "grade", "op": "eq", "value": "A"},
            "target": {"kind": "reps", "rep_ids": [vip.id]},
        })  # fmt: skip
        create_rule(uow=uow, actor=SYSTEM, now=now, fields={
            "name": "rest", "priority": 2, "target": {"kind": "reps", "rep_ids": [other.id]},
        })  # fmt: skip
        return vip.id or 0, other.id or 0

    vip, other = in_transaction(uow, setup)
    _scorecard(uow, clock)
    rulebook = RuleBook()

    def arrive(**fields: object) -> int | None:
        _, decision = create_and_route(
            uow=uow, rulebook=rulebook, fields={"name": "客户", **fields}, actor=SYSTEM,
            now=clock.now(), rng=Random(1),
        )  # fmt: skip
        assert decision is not None
        return decision.rep_id

    assert in_transaction(uow, lambda: arrive(industry="retail", employees=800)) == vip
    assert in_transaction(uow, lambda: arrive(industry="bank")) == other


def test_the_import_scores_every_row(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    _scorecard(uow, clock)
    text = "name,industry,employees\n甲,retail,10\n乙,bank,1000\n丙,retail,1000\n"
    summary = in_transaction(uow, lambda: import_customers(
        uow=uow, table=parse_table("c.csv", text.encode()), actor=SYSTEM, now=clock.now()
    ))  # fmt: skip

    scores = [_stored(uow, i).score for i in summary.customer_ids]
    assert scores == [50, 40, 90]


def test_activation_refuses_a_version_that_does_not_load(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    from fenpei.domain.scoring import ScoreModel

    broken = ScoreModel(kind=ModelKind.score, version=1, name="x", params={"algorithm": "gbm"})
    in_transaction(uow, lambda: uow.score_models.add(broken))

    error = refused(uow, ValidationFailed, lambda: models.activate(
        uow=uow, actor=ADMIN, model_id=broken.id or 0, now=clock.now()
    ))  # fmt: skip
    assert "unknown algorithm" in str(error)


def test_a_bad_scorecard_is_refused_naming_the_line(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    lines = [LINES[0], {"points": 5, "conditions": {"all": [{"field": "region", "op": "gt",
                                                             "value": "x"}]}}]  # fmt: skip

    error = refused(uow, ValidationFailed, lambda: models.save_scorecard(
        uow=uow, actor=ADMIN, name="bad", lines=lines, now=clock.now()
    ))  # fmt: skip
    assert any(f.startswith("lines[1].conditions.all[0]") for f in bad_fields(error))


def test_saving_an_unchanged_scorecard_adds_no_version_and_a_change_adds_one(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    def save(lines: Any) -> tuple[int, bool]:
        model, added = models.save_scorecard(
            uow=uow, actor=ADMIN, name="线索打分", lines=lines, now=clock.now()
        )
        return model.version, added

    assert in_transaction(uow, lambda: save(LINES)) == (1, True)
    assert in_transaction(uow, lambda: save(LINES)) == (1, False)
    assert in_transaction(uow, lambda: save(LINES[:1])) == (2, True)
    assert [m.version for m in uow.score_models.versions(ModelKind.scorecard)] == [2, 1]


def test_only_an_admin_changes_models_and_settings(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    refused(uow, PermissionDenied, lambda: models.save_scorecard(
        uow=uow, actor=MANAGER, name="x", lines=LINES, now=clock.now()
    ))  # fmt: skip
    refused(uow, PermissionDenied, lambda: models.save_settings(
        uow=uow, actor=MANAGER, grade_basis="score", thresholds={"A": 1}, now=clock.now()
    ))  # fmt: skip
    with uow:
        assert models.list_versions(uow=uow, actor=MANAGER) == []


@pytest.mark.parametrize(
    ("basis", "thresholds", "field"),
    [
        ("score", {"A": 50, "B": 60}, "thresholds.B"),
        ("score", {"E": 1}, "thresholds.E"),
        ("points", {"A": 1}, "grade_basis"),
        ("score", [80, 60], "thresholds"),
    ],
)
def test_bad_grade_settings_are_refused_naming_the_field(
    uow: FakeUnitOfWork, clock: FixedClock, basis: str, thresholds: object, field: str
) -> None:
    error = refused(uow, ValidationFailed, lambda: models.save_settings(
        uow=uow, actor=ADMIN, grade_basis=basis, thresholds=thresholds, now=clock.now()
    ))  # fmt: skip
    assert field in bad_fields(error)


def test_rescore_stale_regrades_everyone_after_the_settings_change(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _prior(uow, clock, 0.45)
    customers = [a_customer(uow, clock, name=f"c{i}") for i in range(7)]
    assert {c.grade for c in customers} == {None}  # graded by the score, which is unset

    clock.advance(minutes=5)
    in_transaction(uow, lambda: models.save_settings(
        uow=uow, actor=ADMIN, grade_basis=GradeBasis.win_probability,
        thresholds={"A": 40, "B": 30, "C": 20}, now=clock.now(),
    ))  # fmt: skip
    progress: list[tuple[int, int]] = []
    looked, changed = rescore.rescore_stale(
        uow_factory=lambda: uow,
        now=clock.now,
        batch=3,
        progress=lambda d, t: progress.append((d, t)),
    )

    assert (looked, changed) == (7, 7)
    assert {_stored(uow, c.id).grade for c in customers} == {"A"}
    assert progress == [(3, 7), (6, 7), (7, 7)]
    assert rescore.rescore_stale(uow_factory=lambda: uow, now=clock.now) == (0, 0)


def test_rescore_stale_does_nothing_with_no_active_model(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    a_customer(uow, clock)

    assert rescore.rescore_stale(uow_factory=lambda: uow, now=clock.now) == (0, 0)


def test_explain_lists_the_lines_met_and_the_models_factors(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _scorecard(uow, clock)
    _prior(uow, clock, 0.3)
    customer = a_customer(uow, clock, industry="retail", employees=900)

    with uow:
        why = models.explain(uow=uow, actor=ADMIN, customer_id=customer.id or 0, now=clock.now())

    assert [(p.feature, p.effect) for p in why.lines] == [("retail", 50), ("big", 40)]
    assert [p.feature for p in why.factors] == ["prior"]
    assert (why.grade, why.scorecard and why.scorecard.version) == ("A", 1)


def test_every_change_is_audited(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    model_id = _scorecard(uow, clock)
    in_transaction(uow, lambda: models.deactivate(
        uow=uow, actor=ADMIN, kind=ModelKind.scorecard, now=clock.now()
    ))  # fmt: skip
    in_transaction(uow, lambda: models.save_settings(
        uow=uow, actor=ADMIN, grade_basis="score", thresholds={"A": 90}, now=clock.now()
    ))  # fmt: skip

    with uow:
        entries = uow.audit.find(limit=100)
    actions = [(e.action, e.object_type) for e in entries]
    assert ("create", "scoremodel") in actions
    assert ("activate", "scoremodel") in actions
    assert ("deactivate", "scoremodel") in actions
    assert ("update", "scoringsettings") in actions
    assert uow.score_models.get(model_id).active is False  # type: ignore[union-attr]
