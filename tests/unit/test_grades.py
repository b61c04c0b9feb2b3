"""Grades from scores by thresholds, and thresholds checked naming the grade at fault."""

from __future__ import annotations

import pytest

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.scoring import GradeBasis, check_thresholds, grade_of, graded_value

THRESHOLDS = {"A": 80, "B": 60, "C": 40}


@pytest.mark.parametrize(
    ("value", "grade"),
    [(None, None), (100, "A"), (80, "A"), (79.9, "B"), (60, "B"), (40, "C"), (39, "D"), (-5, "D")],
)
def test_a_grade_is_the_best_whose_threshold_the_value_reaches(
    value: float | None, grade: str | None
) -> None:
    assert grade_of(value, THRESHOLDS) == grade


def test_the_probability_is_graded_as_a_percentage() -> None:
    assert graded_value(GradeBasis.win_probability, score=10, win_probability=0.85) == 85
    assert graded_value(GradeBasis.score, score=10, win_probability=0.85) == 10
    assert graded_value(GradeBasis.win_probability, score=10, win_probability=None) is None


def test_thresholds_must_fall_grade_by_grade_and_be_numbers() -> None:
    assert check_thresholds({"A": 90, "C": 10}) == {"A": 90.0, "C": 10.0}
    with pytest.raises(ValidationFailed) as refused:
        check_thresholds({"A": 50, "B": 60, "C": "x", "E": 1, "D": 0})
    assert {e.field for e in refused.value.errors} == {
        "thresholds.B", "thresholds.C", "thresholds.E", "thresholds.D",
    }  # fmt: skip
