"""A candidate's score in words: each ``engine.score_factors.Factor`` told from the
catalogs ("负载 12/100（12%，按默认容量）", "行业匹配 retail（权重 3）")."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fenpei.engine.score_factors import Factor
from fenpei.web.i18n import Translate

Number = Callable[[object], str]


def _share(n: Number, value: float) -> str:
    return f"{n(round(value * 100))}%"


def _figure(n: Number, value: float) -> str:
    """A weight or a fit as a person reads it: 3, 0.9, 1.25."""
    return n(round(value, 2) + 0.0)


def factor_text(t: Translate, n: Number, factor: Factor) -> str:
    """One part of a score in the page's language, with what it adds where it adds."""
    f = factor.figures
    if factor.kind == "load":
        key = "insights.factor.load_default" if f["default"] else "insights.factor.load"
        text = t(key, open=n(f["open"]), capacity=n(f["capacity"]), share=_share(n, f["share"]))
        if "weight" in f:
            text = t("insights.factor.weighted", part=text, weight=_figure(n, f["weight"]))
    elif factor.kind == "skill":
        text = t(
            "insights.factor.skill",
            what=t(f"insights.skill.{f['what']}"),
            value=f["value"],
            weight=_figure(n, f["weight"]),
        )
    elif factor.kind == "seniority":
        text = t(
            "insights.factor.seniority",
            seniority=n(f["seniority"]),
            level=f["level"],
            fit=_figure(n, f["fit"]),
            weight=_figure(n, f["weight"]),
        )
    elif factor.kind == "credit":
        text = t("insights.factor.credit", weight=n(f["weight"]), credit=n(f["credit"]))
    elif factor.kind == "turn":
        text = t("insights.factor.turn", place=n(f["place"]))
    elif factor.kind == "chance":
        share = _share(n, f["share"])
        text = (
            t("insights.factor.chance", share=share)
            if f["weight"] is None
            else t("insights.factor.chance_weighted", share=share, weight=n(f["weight"]))
        )
    elif factor.kind == "p_win":
        p = n(round(f["p"], 3) + 0.0)
        text = (
            t("optimal.factor.p_win", p=p)
            if f["value"] == 1
            else t("optimal.factor.p_win_value", p=p, value=n(round(f["value"], 2)))
        )
    elif factor.kind == "open_value":
        text = t("insights.factor.open_value", value=n(round(f["value"], 2)))
    else:
        text = factor.kind
    if factor.points is None:
        return text
    points = round(factor.points, 2) + 0.0
    return t("insights.factor.points", part=text, points=("+" if points >= 0 else "") + n(points))


def factors_text(t: Translate, n: Number, factors: Sequence[Factor]) -> list[str]:
    return [factor_text(t, n, factor) for factor in factors]
