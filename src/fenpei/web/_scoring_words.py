"""Scores in the page's words: a scorecard line met ("零售大客户 +30 分"), a learned model's
factor ("行业 = retail：成交几率 ×1.4"), a probability as a percentage."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fenpei.domain.scoring import ScoreModel
from fenpei.engine.scoring.contract import Contribution
from fenpei.web._conditions_text import field_name
from fenpei.web.i18n import Translate

Number = Callable[[object], str]


def probability(n: Number, value: float | None) -> str:
    """0.237 → ``24%``; blank when there is none."""
    return "" if value is None else f"{n(round(value * 100))}%"


def line_words(t: Translate, n: Number, part: Contribution) -> str:
    """A scorecard line the customer meets, with the points it adds."""
    points = f"{'+' if part.effect >= 0 else ''}{n(round(part.effect, 2) + 0.0)}"
    return t("scoring.why.line", label=part.feature, points=points)


def factor_words(t: Translate, n: Number, part: Contribution) -> str:
    """A learned model's factor: what it is about and how it moves the odds."""
    if part.feature == "prior":
        return t("scoring.why.prior", p=probability(n, _float(part.value)))
    odds = math.exp(max(-20.0, min(20.0, part.effect)))
    key = "scoring.why.raises" if part.effect >= 0 else "scoring.why.lowers"
    return t(key, what=field_name(t, part.feature), value=part.value, odds=n(round(odds, 2)))


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def why_words(
    t: Translate, n: Number, lines: Sequence[Contribution], factors: Sequence[Contribution]
) -> list[str]:
    """The reasons for a score, scorecard lines first, largest first."""
    return [line_words(t, n, p) for p in lines] + [factor_words(t, n, p) for p in factors]


_HEADLINE = ("auc", "brier", "log_loss")


def metrics_summary(model: ScoreModel) -> dict[str, Any]:
    """The headline metrics and each baseline's, for the versions table."""
    shown: dict[str, Any] = {k: model.metrics[k] for k in _HEADLINE if _number(model.metrics, k)}
    baselines = model.metrics.get("baselines")
    if isinstance(baselines, Mapping):
        shown["baselines"] = {
            str(name): {k: v[k] for k in ("auc", "brier") if _number(v, k)}
            for name, v in baselines.items()
            if isinstance(v, Mapping)
        }
    for key in ("rows", "test_rows"):
        if _number(model.metrics, key):
            shown[key] = model.metrics[key]
    return shown


def _number(found: Mapping[str, Any], key: str) -> bool:
    value = found.get(key)
    return isinstance(value, int | float) and not isinstance(value, bool)
