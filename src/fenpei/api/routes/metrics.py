"""Prometheus metrics at ``/metrics`` (text format 0.0.4), with no client library.

Request counts and latencies are collected by a pure-ASGI middleware into a ``RequestMetrics``
kept on ``app.state``; assignment counts and the queue depth are read at scrape time.
"""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fenpei.http.deps import UowDep
from fenpei.services.ports import UnitOfWork

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Paths no route matched (scanners, typos) share one label, so they cannot grow the series.
UNMATCHED = "unmatched"

router = APIRouter(tags=["health"])
Labels = tuple[str, str, str]  # method, route template, status


@dataclass
class _Series:
    count: int = 0
    total_seconds: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))


class RequestMetrics:
    """Request counts and latency histograms per method, route template and status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._series: dict[Labels, _Series] = defaultdict(_Series)

    def observe(self, labels: Labels, seconds: float) -> None:
        with self._lock:
            series = self._series[labels]
            series.count += 1
            series.total_seconds += seconds
            for position, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    series.buckets[position] += 1

    def lines(self) -> Iterable[str]:
        with self._lock:
            snapshot = sorted(
                (k, _Series(v.count, v.total_seconds, list(v.buckets)))
                for k, v in self._series.items()
            )
        yield "# HELP fenpei_http_requests_total HTTP requests by method, route and status."
        yield "# TYPE fenpei_http_requests_total counter"
        for labels, series in snapshot:
            yield f"fenpei_http_requests_total{{{_http_labels(labels)}}} {series.count}"
        name = "fenpei_http_request_duration_seconds"
        yield f"# HELP {name} Time to answer HTTP requests."
        yield f"# TYPE {name} histogram"
        for labels, series in snapshot:
            base = _http_labels(labels)
            for bound, count in zip(BUCKETS, series.buckets, strict=True):
                yield f'{name}_bucket{{{base},le="{bound}"}} {count}'
            yield f'{name}_bucket{{{base},le="+Inf"}} {series.count}'
            yield f"{name}_sum{{{base}}} {series.total_seconds:.6f}"
            yield f"{name}_count{{{base}}} {series.count}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _http_labels(labels: Labels) -> str:
    method, route, status = labels
    return f'method="{_escape(method)}",route="{_escape(route)}",status="{status}"'


def route_template(scope: Scope) -> str:
    """The matched route's template with its router prefix: ``/api/v1/customers/{customer_id}``.

    An included router's route knows only its own part (``/customers/{customer_id}``); the
    prefix is the part of the path before where that template matches (static, so bounded).
    """
    route = scope.get("route")
    template, regex = getattr(route, "path_format", None), getattr(route, "path_regex", None)
    if not isinstance(template, str) or not isinstance(regex, re.Pattern):
        return UNMATCHED
    path = str(scope.get("path", ""))
    for cut, char in enumerate(path):
        if char == "/" and regex.match(path[cut:]):
            return path[:cut] + template
    return template


class MetricsMiddleware:
    """Times every HTTP request and records it under its route template (``/customers/{id}``)."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts; an escaping exception becomes a 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            labels = (str(scope.get("method", "")), route_template(scope), str(status))
            self.metrics.observe(labels, time.perf_counter() - started)


def install(app: FastAPI) -> None:
    """Keep a fresh ``RequestMetrics`` on ``app.state`` and time every request into it."""
    app.state.request_metrics = RequestMetrics()
    app.add_middleware(MetricsMiddleware, metrics=app.state.request_metrics)


def _database_lines(uow: UnitOfWork) -> Iterable[str]:
    rows = uow.routing.assignment_counts()
    depth = uow.routing.queue_depth()
    yield "# HELP fenpei_assignments_total Assignments ever made, by method and rule."
    yield "# TYPE fenpei_assignments_total counter"
    for method, rule_id, count in rows:
        method_name = _escape(method)
        rule = "" if rule_id is None else str(rule_id)
        yield f'fenpei_assignments_total{{method="{method_name}",rule="{rule}"}} {count}'
    yield "# HELP fenpei_queue_depth Customers waiting in the queue for a rep."
    yield "# TYPE fenpei_queue_depth gauge"
    yield f"fenpei_queue_depth {depth}"


@router.get("/metrics", response_class=PlainTextResponse, include_in_schema=False)
def metrics(request: Request, uow: UowDep) -> PlainTextResponse:
    """Every metric, in Prometheus text format 0.0.4."""
    collected: RequestMetrics = request.app.state.request_metrics
    lines = [*collected.lines(), *_database_lines(uow)]
    return PlainTextResponse("\n".join(lines) + "\n", media_type=CONTENT_TYPE)
