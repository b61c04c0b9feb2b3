"""Predicted conversion and batch optimal, one customer at a time: the rep most likely to
win it, less their load; explained per candidate; least loaded when no model is active."""

from __future__ import annotations

from decimal import Decimal
from random import Random

import pytest

from fenpei.domain.customers import Customer
from fenpei.engine.score_factors import score_factors
from fenpei.engine.strategies import get_strategy, validate_options
from tests.unit._affinity import FixedAffinity
from tests.unit.test_strategies import rep

LEAD = Customer(name="Lead", region="East", expected_value=Decimal("5000"))
P = FixedAffinity({("Lead", 1): 0.41, ("Lead", 2): 0.38, ("Lead", 3): 0.10})
STRATEGIES = ("predicted_conversion", "batch_optimal")


@pytest.mark.parametrize("name", STRATEGIES)
def test_the_rep_most_likely_to_win_it_gets_it(name: str) -> None:
    reps = [rep(1, max_open=10), rep(2, max_open=10), rep(3, max_open=10)]

    choice = get_strategy(name).choose(
        reps, customer=LEAD, state={}, options={}, rng=Random(0), affinity=P
    )

    assert choice.rep_id == 1
    assert choice.code == "predicted_conversion"
    assert choice.params["p"] == pytest.approx(0.41)
    assert "best_rep_id" not in choice.params  # the best p won: nothing traded
    assert choice.scores == {1: 0.41, 2: 0.38, 3: 0.1}


def test_load_is_traded_against_p_by_lambda() -> None:
    # Alice (p 0.41) holds 8 of 10, Bob (p 0.38) none: 0.41 − λ·0.8 against 0.38.
    reps = [rep(1, max_open=10, open_count=8), rep(2, max_open=10)]

    def pick(weight: float) -> int:
        options = {"load_weight": weight}
        return (
            get_strategy("predicted_conversion")
            .choose(reps, customer=LEAD, state={}, options=options, rng=Random(0), affinity=P)
            .rep_id
        )

    assert pick(0.0) == 1
    assert pick(0.03) == 1  # 0.41 − 0.024 = 0.386 > 0.38
    assert pick(0.1) == 2  # 0.41 − 0.08 = 0.33 < 0.38
    choice = get_strategy("predicted_conversion").choose(
        reps, customer=LEAD, state={}, options={}, rng=Random(0), affinity=P
    )
    assert choice.rep_id == 2
    assert choice.params["best_rep_id"] == 1
    assert choice.params["best_load"] == pytest.approx(0.8)


def test_value_weighting_scales_scores_to_expected_won_value() -> None:
    reps = [rep(1), rep(2)]
    choice = get_strategy("predicted_conversion").choose(
        reps, customer=LEAD, state={}, options={"weigh_value": True}, rng=Random(0), affinity=P
    )

    assert choice.rep_id == 1
    assert choice.scores[1] == pytest.approx(5000 * 0.41)
    assert choice.params["value"] == 5000


@pytest.mark.parametrize("name", STRATEGIES)
def test_with_no_model_it_is_least_loaded_and_says_so(name: str) -> None:
    reps = [rep(1, max_open=10, open_count=5), rep(2, max_open=10, open_count=1)]

    choice = get_strategy(name).choose(reps, customer=LEAD, state={}, options={}, rng=Random(0))

    assert choice.rep_id == 2
    assert choice.code == "predicted_conversion.no_model"
    assert choice.reason.startswith("no prediction model is active; least loaded")
    assert choice.params["open"] == 1


@pytest.mark.parametrize("name", STRATEGIES)
def test_each_candidates_score_is_told_as_p_less_its_load(name: str) -> None:
    reps = [rep(1, max_open=10, open_count=3), rep(2, max_open=10)]
    options = {"load_weight": 0.2}
    choice = get_strategy(name).choose(
        reps, customer=LEAD, state={}, options=options, rng=Random(0), affinity=P
    )

    factors = score_factors(
        name, reps[0], score=choice.scores[1], top_score=0, customer=LEAD, options=options
    )

    assert [f.kind for f in factors] == ["p_win", "load"]
    assert factors[0].figures["p"] == pytest.approx(0.41)
    assert factors[1].points == pytest.approx(-0.2 * 0.3)
    assert sum(f.points or 0 for f in factors) == pytest.approx(choice.scores[1])


@pytest.mark.parametrize(
    ("name", "options", "fault"),
    [
        ("predicted_conversion", {"load_weight": -1}, "load_weight"),
        ("predicted_conversion", {"load_weight": "a lot"}, "load_weight"),
        ("predicted_conversion", {"weigh_value": "yes"}, "weigh_value"),
        ("predicted_conversion", {"min_per_rep": 1}, "min_per_rep: unknown option"),
        ("batch_optimal", {"max_per_rep": -2}, "max_per_rep"),
        ("batch_optimal", {"min_per_rep": 1.5}, "min_per_rep"),
        ("batch_optimal", {"min_per_rep": 5, "max_per_rep": 2}, "must not exceed"),
        ("batch_optimal", {"default_capacity": 0}, "default_capacity"),
    ],
)
def test_bad_options_are_refused_naming_the_option(name: str, options: dict, fault: str) -> None:
    problems = validate_options(name, options)

    assert len(problems) == 1 and fault in problems[0]


def test_good_options_pass() -> None:
    options = {"load_weight": 0.3, "weigh_value": True, "min_per_rep": 1, "max_per_rep": 9}

    assert validate_options("batch_optimal", options) == []
    assert validate_options("predicted_conversion", {"load_weight": 0}) == []
