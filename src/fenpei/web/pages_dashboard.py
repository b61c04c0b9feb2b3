"""The dashboard (监控看板): today's intake, load against capacity, conversions, the queue.

One URL: the full page, or on ``HX-Request`` only the figures fragment, which asks for
itself again every 30 seconds. The charts' data travels as JSON in a
``<script type="application/json">`` block that ``static/dashboard.js`` reads.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.services import analytics
from fenpei.services.rep_status import DefaultCapacity, StatusKind
from fenpei.web.i18n import Translate, translator
from fenpei.web.rendering import is_htmx, page_language, render

router = APIRouter(include_in_schema=False)
Period = Literal["all", "30", "90", "365"]
# Each period's words; "all" first and the default: the demo's history (2016–2017) has no
# closings in any recent window, and a window that is empty shifts to the last data anyway.
PERIODS: dict[Period, str] = {
    "all": "insights.period.all_data",
    "30": "dashboard.period.30",
    "90": "dashboard.period.90",
    "365": "insights.period.365",
}


def _uncapped(t: Translate, capacity: DefaultCapacity | None) -> str:
    """What a rep without max_open is held to: no cap, but load-weighing rules measure
    them against the default capacity (as the explanations' "12/100" say)."""
    if capacity is None:
        return t("org.unlimited")
    span = f"{capacity.low}" if capacity.low == capacity.high else f"{capacity.low}–{capacity.high}"
    return t("org.capacity.uncapped_measured", capacity=span)


def _chart_data(board: analytics.Dashboard, request: Request) -> dict[str, Any]:
    """What the charts draw, with their labels in the page's language (names are data:
    the script puts them into the chart as text, never as markup)."""
    t = translator(page_language(request))
    return {
        "labels": {
            "open": t("dashboard.chart.open"),
            "free": t("dashboard.chart.free"),
            "unlimited": _uncapped(t, board.default_capacity),
            "no_cap": t("insights.load.no_cap"),
            "won": t("dashboard.chart.won"),
            "lost": t("dashboard.chart.lost"),
        },
        "loads": [
            {
                "name": line.rep.name,
                "open": line.usage.open_count if line.usage else 0,
                "max": line.rep.max_open,
                "full": line.full is not None,
                "status": line.status.kind.value,
                # what routing decides now, beside the name, unless the rep may take more
                "status_text": None
                if line.status.kind is StatusKind.available
                else t(f"org.status.{line.status.kind.value}"),
            }
            for line in board.loads
        ],
        "conversions": [
            {
                "name": c.name,
                "won": c.won,
                "lost": c.lost,
                "rate": None if c.rate is None else round(c.rate * 100),
            }
            for c in board.by_rep
        ],
    }


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    period: Annotated[Period, Query()] = "all",
) -> Response:
    """监控看板: the figures of the actor's scope (admins and managers; others 403)."""
    now = fenpei.now()
    board = analytics.dashboard(
        uow=uow,
        actor=actor,
        now=now,
        zone=fenpei.settings.zone,
        period_days=None if period == "all" else int(period),
    )
    context = {
        "user": user,
        "active": "dashboard",
        "board": board,
        "now": now,
        "period": period,
        "periods": PERIODS,
        "unavailable": [
            line for line in board.loads if line.status.kind is not StatusKind.available
        ],
        "chart_data": _chart_data(board, request),
        "default_capacity": board.default_capacity,
    }
    if is_htmx(request):
        return render(request, "dashboard/_figures.html", context)
    return render(request, "dashboard/index.html", context)
