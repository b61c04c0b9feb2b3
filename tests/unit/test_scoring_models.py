"""Learned scoring, piece by piece: features, metrics, the scorer, naive Bayes, loading,
and the time-split evaluation."""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from fenpei.domain.customers import Customer
from fenpei.domain.tasks import Task
from fenpei.engine.items import TaskItem
from fenpei.engine.scoring import metrics
from fenpei.engine.scoring.contract import Example
from fenpei.engine.scoring.evaluation import default_split, evaluate, time_split
from fenpei.engine.scoring.features import NONE, OTHER, learn_spec, raw_value
from fenpei.engine.scoring.loading import load_model
from fenpei.engine.scoring.logistic import LogisticScorer, train_logistic
from fenpei.engine.scoring.naive_bayes import train_naive_bayes
from fenpei.engine.scoring.segment_table import train_segment_table
from fenpei.engine.scoring.training import train_affinity

START = datetime(2026, 1, 1, tzinfo=UTC)


def _history(n: int = 4000, seed: int = 3) -> list[Example]:
    """Retail wins often, finance rarely; big finance firms win (an interaction)."""
    rng = np.random.default_rng(seed)
    found = []
    for i in range(n):
        industry = str(rng.choice(["retail", "finance", "energy"]))
        employees = int(rng.choice([20, 3000]))
        logit = {"retail": 0.8, "finance": -0.8, "energy": 0.0}[industry]
        if industry == "finance" and employees == 3000:
            logit += 2.0
        won = bool(rng.random() < 1 / (1 + math.exp(-logit)))
        customer = Customer(name=f"c{i}", industry=industry, employees=employees, source="web")
        found.append(Example(customer, won, START + timedelta(hours=i), rep_id=1 + i % 5))
    return found


def test_auc_counts_ties_half_and_needs_both_outcomes() -> None:
    assert metrics.auc([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0]) == 1.0
    assert metrics.auc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]) == 0.0
    assert metrics.auc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0]) == 0.5
    assert metrics.auc([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]) == pytest.approx(0.875)
    assert metrics.auc([0.3, 0.4], [1, 1]) is None


def test_brier_and_calibration_bins() -> None:
    assert metrics.brier([1.0, 0.0], [1, 0]) == 0.0
    assert metrics.brier([0.5, 0.5], [1, 0]) == 0.25
    bins = metrics.calibration([0.05, 0.08, 0.91, 0.95], [0, 1, 1, 1])
    assert bins == [
        {"predicted": 0.065, "observed": 0.5, "n": 2},
        {"predicted": 0.93, "observed": 1.0, "n": 2},
    ]
    per_rep = metrics.per_group([0.2, 0.4, 0.9], [0, 1, 1], [7, 7, 8])
    assert per_rep == {
        "7": {"predicted": 0.3, "observed": 0.5, "n": 2},
        "8": {"predicted": 0.9, "observed": 1.0, "n": 1},
    }


def test_features_bucket_numbers_fold_rare_values_and_read_tasks() -> None:
    customers = [Customer(name="a", industry="retail", employees=30) for _ in range(10)]
    customers.append(Customer(name="b", industry="mining", revenue=Decimal("2500000")))
    spec = learn_spec(customers, ("industry", "size", "revenue_band", "source"), min_count=5)

    assert raw_value(customers[0], "size") == "10-50"
    assert raw_value(customers[-1], "revenue_band") == "1M-10M"
    assert raw_value(customers[-1], "size") == NONE
    assert "source" not in spec.fields  # one value (none) everywhere: tells nothing
    assert dict(spec.values_of(customers[-1]))["industry"] == OTHER
    task = TaskItem(Task(title="call", created_by="t", created_at=START), customers[0])
    assert spec.encode(task).tolist() == spec.encode(customers[0]).tolist()
    assert spec.encode(TaskItem(Task(title="none", created_by="t", created_at=START))).shape == (
        spec.width,
    )


def test_logistic_learns_the_interaction_and_explains_it() -> None:
    history = _history()
    scorer = train_logistic(history, fields=("industry", "size"))
    big_finance = Customer(name="x", industry="finance", employees=3000)
    small_finance = Customer(name="y", industry="finance", employees=20)

    assert scorer.pairs == (("industry", "size"),)
    assert scorer.p_win(big_finance) == pytest.approx(1 / (1 + math.exp(-1.2)), abs=0.07)
    assert scorer.p_win(small_finance) == pytest.approx(1 / (1 + math.exp(0.8)), abs=0.07)
    top = scorer.factors(big_finance, top=1)[0]
    assert (top.feature, top.value) == ("industry × size", "finance × 1k-5k")
    assert top.effect > 0.5


def test_logistic_without_both_outcomes_predicts_the_base_rate() -> None:
    history = [Example(Customer(name=f"{i}"), True, START) for i in range(30)]
    scorer = train_logistic(history)
    assert scorer.p_win(Customer(name="new")) == pytest.approx(0.99)


def test_naive_bayes_multiplies_smoothed_frequency_ratios() -> None:
    history = [
        Example(Customer(name="1", industry="retail"), True, START),
        Example(Customer(name="2", industry="retail"), True, START),
        Example(Customer(name="3", industry="retail"), False, START),
        Example(Customer(name="4", industry="energy"), False, START),
    ]
    model = train_naive_bayes(history, fields=("industry",), min_count=1)
    # p(retail|won) = (2+1)/(2+3), p(retail|lost) = (1+1)/(2+3); prior odds (2+1)/(2+1).
    expected_odds = (3 / 5) / (2 / 5)
    assert model.p_win(Customer(name="r", industry="retail")) == pytest.approx(
        expected_odds / (1 + expected_odds)
    )


def test_every_model_loads_back_from_json_params() -> None:
    history = _history(800)
    for model in (
        train_logistic(history, fields=("industry", "size")),
        train_naive_bayes(history, fields=("industry", "size")),
    ):
        again = load_model(json.loads(json.dumps(model.to_params())))
        for e in history[:20]:
            assert again.p_win(e.customer) == pytest.approx(model.p_win(e.customer), abs=1e-5)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"algorithm": "logistic", "spec": {"fields": [], "values": {}}, "weights": []}, "weights"),
        ({"algorithm": "logistic", "spec": "x", "weights": [0.0]}, "spec"),
        ({"algorithm": "naive_bayes", "spec": {"fields": [], "values": {}}, "won": -1}, "won"),
        ({"algorithm": "affinity_logistic", "spec": {"fields": [], "values": {}},
          "global": [0.0], "teams": {"x": [0.0]}, "reps": {}}, "teams"),
        ({"algorithm": "affinity_logistic", "spec": {"fields": [], "values": {}},
          "global": ["a"], "teams": {}, "reps": {}}, "global"),
        ({"algorithm": "segment_table", "segment": 3, "base": 0.2}, "segment"),
        ({"algorithm": "segment_table", "segment": "industry", "base": 0.2,
          "cells": {"1": {"retail": [1]}}}, "cells"),
        ({"algorithm": "logistic", "spec": {"fields": [], "values": {}}, "weights": [0.0],
          "pairs": [3]}, "pairs"),
    ],
)  # fmt: skip
def test_damaged_params_are_refused_naming_what_is_wrong(
    params: dict[str, object], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        load_model(params)


def test_evaluation_trains_on_the_past_only_and_compares_with_baselines() -> None:
    history = _history()
    split = default_split(history)
    train, test = time_split(history, split)
    assert max(e.at for e in train) < split <= min(e.at for e in test)

    report = evaluate(history, split, fields=("industry", "size"))

    assert report.rows == len(train) and report.test_rows == len(test)
    assert set(report.models) == {"learned", "naive_bayes", "logistic", "constant"}
    learned, bayes = report.models["learned"], report.models["naive_bayes"]
    assert learned["auc"] > bayes["auc"]  # naive Bayes cannot see big finance firms
    assert learned["brier"] < report.models["constant"]["brier"]
    assert set(report.per_rep) == {"1", "2", "3", "4", "5"}
    figures = report.metrics()
    assert figures["baselines"]["naive_bayes"]["auc"] == bayes["auc"]
    assert figures["split_at"] == split.isoformat()


def test_a_value_first_seen_after_the_split_is_unknown_to_the_model() -> None:
    history = _history(1000)
    late = [
        Example(Customer(name=f"n{i}", industry="nuclear"), True, START + timedelta(days=400))
        for i in range(50)
    ]
    scorer = train_logistic(time_split([*history, *late], START + timedelta(days=300))[0])
    assert isinstance(scorer, LogisticScorer)
    assert ("industry", "nuclear") not in scorer.spec.index


def test_evaluation_refuses_a_split_with_nothing_after_it() -> None:
    with pytest.raises(ValueError, match="after the split"):
        evaluate(_history(200), START + timedelta(days=999))


def _paths(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node[:3]):
            found += _paths(value, (*path, i))
    return found


def test_params_damaged_anywhere_are_refused_or_still_score() -> None:
    """Each leaf of each algorithm's params replaced by a bad value: the loader refuses it
    with a ValueError, or the model it loads scores without an error (or a warning)."""
    history = _history(400)
    models: list[Any] = [
        train_logistic(history, fields=("industry", "size")),
        train_naive_bayes(history, fields=("industry", "size")),
        train_affinity(history, {}, fields=("industry", "size"), penalties=((1, 10, 30),)),
        train_segment_table(history),
    ]
    customer = history[0].customer
    for model in models:
        params = json.loads(json.dumps(model.to_params()))
        for path in _paths(params):
            if path == ("algorithm",):
                continue
            for bad in (None, "x", -1, 1e308, [], {}, True, [1, 2], 0):
                damaged = copy.deepcopy(params)
                node = damaged
                for key in path[:-1]:
                    node = node[key]
                node[path[-1]] = bad
                try:
                    loaded: Any = load_model(damaged)
                except ValueError:
                    continue
                if model.algorithm in ("affinity_logistic", "segment_table"):
                    assert set(loaded.p_win(customer, [1, 2, 99])) == {1, 2, 99}
                else:
                    assert 0 <= loaded.p_win(customer) <= 1
