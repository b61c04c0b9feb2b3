"""The scorecard (打分卡): lines of conditions → points, summed; validation names the line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fenpei.domain.customers import Customer
from fenpei.domain.errors import ValidationFailed
from fenpei.engine.scoring.loading import load_model
from fenpei.engine.scoring.scorecard import CompiledScorecard, build_scorecard

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
CARD = {
    "algorithm": "scorecard",
    "base": 5,
    "lines": [
        {"label": "retail", "points": 30,
         "conditions": {"field": "industry", "op": "eq", "value": "retail"}},
        {"label": "big", "points": 20,
         "conditions": {"field": "employees", "op": "gte", "value": 500}},
        {"label": "cold source", "points": -10,
         "conditions": {"field": "source", "op": "in", "value": ["cold call", "list"]}},
        {"label": "new", "points": 7,
         "conditions": {"field": "created_at", "op": "within_days", "value": 7}},
    ],
}  # fmt: skip


def _customer(**fields: object) -> Customer:
    return Customer(name="甲", created_at=NOW - timedelta(days=30), **fields)  # type: ignore[arg-type]


def test_points_sum_the_lines_met_on_top_of_the_base() -> None:
    card = build_scorecard(CARD)

    assert card.points(_customer(industry="Retail", employees=800), NOW) == 5 + 30 + 20
    assert card.points(_customer(industry="retail", source="List"), NOW) == 5 + 30 - 10
    assert card.points(_customer(industry="bank"), NOW) == 5


def test_time_relative_lines_read_the_time_given() -> None:
    card = build_scorecard(CARD)
    fresh = _customer()
    fresh.created_at = NOW - timedelta(days=2)

    assert card.points(fresh, NOW) == 5 + 7
    assert card.points(fresh, NOW + timedelta(days=10)) == 5


def test_factors_list_the_lines_met_largest_first_with_their_conditions() -> None:
    card = build_scorecard(CARD)
    parts = card.factors(_customer(industry="retail", employees=900, source="list"), top=0, now=NOW)

    assert [(p.feature, p.effect) for p in parts] == [("retail", 30), ("big", 20),
                                                        ("cold source", -10)]  # fmt: skip
    assert "industry" in parts[0].value and "retail" in parts[0].value
    top_two = card.factors(_customer(industry="retail", employees=900), now=NOW)
    assert [p.feature for p in top_two] == ["retail", "big"]


def test_load_model_dispatches_to_the_scorecard() -> None:
    model = load_model(CARD)

    assert isinstance(model, CompiledScorecard)
    assert model.points(_customer(employees=500), NOW) == 25


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"lines": [{"points": 1, "conditions": {"field": "industry", "op": "between",
                                                 "value": 1}}]},
         "lines[0].conditions.op", "between"),
        ({"lines": [{}, {"points": 1, "conditions": {"all": [
            {"field": "nope", "op": "eq", "value": 1}]}}]},
         "lines[1].conditions.all[0].field", "nope"),
        ({"lines": [{"points": "many", "conditions": {}}]}, "lines[0].points", "number"),
        ({"lines": [{"points": float("nan"), "conditions": {}}]}, "lines[0].points", "number"),
        ({"lines": [{"points": 1e9, "conditions": {}}]}, "lines[0].points", "between"),
        ({"lines": [{"conditions": {}}]}, "lines[0].points", "required"),
        ({"lines": [{"points": 1, "conditions": {}, "weight": 2}]}, "lines[0]", "weight"),
        ({"lines": [{"points": 1, "label": 3, "conditions": {}}]}, "lines[0].label", "text"),
        ({"lines": "all"}, "lines", "list"),
        ({"lines": [], "base": True}, "base", "number"),
        ({"lines": [5]}, "lines[0]", "object"),
        ({"lines": [{"points": 1, "conditions": {"field": "grade", "op": "eq",
                                                 "value": "A"}}]},
         "lines[0].conditions", "grade"),
        ({"lines": [{"points": 1}] * 201}, "lines", "at most"),
    ],
)  # fmt: skip
def test_bad_params_are_refused_naming_the_line_and_node(
    params: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        build_scorecard({"algorithm": "scorecard", **params})

    named = {e.field: e.message for e in refused.value.errors}
    assert field in named, named
    assert words in named[field] or words in field


def test_load_model_turns_bad_lines_into_a_value_error_naming_them() -> None:
    bad = {"algorithm": "scorecard", "lines": [{"points": 1, "conditions": {"field": "x"}}]}

    with pytest.raises(ValueError, match=r"lines\[0\]"):
        load_model(bad)


def test_an_empty_scorecard_scores_everyone_its_base() -> None:
    card = build_scorecard({"algorithm": "scorecard", "base": 12.5, "lines": []})

    assert card.points(_customer(), NOW) == 12.5
    assert card.factors(_customer()) == []
