"""对照组报告: the randomised holdout of each rule, for sales managers and admins — how the
customers routed by the rule's own strategy convert against those routed by its baseline,
and whether the difference is more than chance (a 95% interval that leaves out zero)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.services.holdout.report import RuleExperiment, holdout_report
from fenpei.web.i18n import Translate, translator
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
PERIODS = {"30": 30, "90": 90, "365": 365, "all": None}


def _points(value: float) -> str:
    return f"{value * 100:+.1f}"


def verdict(t: Translate, experiment: RuleExperiment) -> str:
    """The difference in one sentence a sales manager can read."""
    diff = experiment.difference
    if diff is None:
        return t("holdout.verdict.waiting")
    words = {
        "estimate": _points(diff.estimate),
        "low": _points(diff.interval.low),
        "high": _points(diff.interval.high),
    }
    if not diff.significant:
        return t("holdout.verdict.unclear", **words)
    key = "holdout.verdict.better" if diff.estimate > 0 else "holdout.verdict.worse"
    return t(key, **{**words, "estimate": f"{abs(diff.estimate) * 100:.1f}"})  # "by 5.2 points"


@router.get("/reports/holdout")
def holdout_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    period: Annotated[str, Query(max_length=10)] = "90",
) -> Response:
    """Per rule with a holdout: each arm's customers, won, lost, open, conversion and won
    value, and the difference with its 95% interval (admins; managers: their teams)."""
    days = PERIODS.get(period, PERIODS["90"])
    period = period if period in PERIODS else "90"
    now = fenpei.now()
    since = now - timedelta(days=days) if days is not None else None
    report = holdout_report(uow=uow, actor=actor, since=since)
    t = translator(page_language(request))
    context: dict[str, Any] = {
        "user": user,
        "active": "rules",  # a page of the rule book's: its tab beside the rules
        "report": report,
        "period": period,
        "periods": {key: f"holdout.period.{key}" for key in PERIODS},
        "verdicts": {e.rule_id: verdict(t, e) for e in report.experiments},
    }
    return render(request, "reports/holdout.html", context)
