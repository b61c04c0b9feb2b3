"""Page timings on the demo: the customer list, one customer, the dashboard and the teams
page, each against baselines measured in the same run.

A fresh SQLite file holds what ``fenpei serve --demo`` loads (the Maven CRM: 3 offices,
35 reps, 15 rules, 8,800 customers with their assignment history) and an admin. One
in-process client logged in through the login form (a session cookie, as a browser) GETs
each page in turn, round after round, after a warm-up; each request's wall time is kept.
Reported per page: p50 and p95 in milliseconds and the p50 as a multiple of two baselines
from the same rounds: ``/healthz`` (no session, one ``SELECT 1``) and ``/account/password``
(a session read and the page layout, no data) — so a slower machine moves every row alike.

    python -m bench.pages_bench --rounds 30
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from fastapi.testclient import TestClient
from rich.table import Table

from bench._databases import fresh_fenpei
from bench._http_report import console
from fenpei.adapters.db import tables as t
from fenpei.adapters.maven import read_maven
from fenpei.app import create_app
from fenpei.bootstrap import Fenpei
from fenpei.cli.imports import BUNDLED_MAVEN
from fenpei.domain.users import SYSTEM, Role
from fenpei.services.maven_import import import_maven
from fenpei.services.maven_rules import create_maven_rules
from fenpei.services.users import create_user

USERNAME = "bench-admin"
PASSWORD = "bench-admin-password"
WARM_UP = 3
BASELINES = ("/healthz", "/account/password")
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


@dataclass
class Timings:
    """Wall times of one page's GETs, in seconds."""

    label: str
    path: str
    seconds: list[float] = field(default_factory=list)

    def percentile(self, p: int) -> float:
        """The p-th percentile in milliseconds."""
        if len(self.seconds) < 2:
            return self.seconds[0] * 1000 if self.seconds else 0.0
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[p - 1] * 1000


def load_demo(fenpei: Fenpei) -> int:
    """What ``fenpei serve --demo`` loads (without its one-time password): the Maven
    data, its rules and an admin. Returns how many customers there are."""
    now = fenpei.now()
    with fenpei.uow() as uow:
        import_maven(uow=uow, data=read_maven(BUNDLED_MAVEN), actor=SYSTEM, now=now)
        create_maven_rules(uow=uow, actor=SYSTEM, now=now)
        create_user(
            uow=uow,
            hasher=fenpei.hasher,
            username=USERNAME,
            password=PASSWORD,
            role=Role.admin,
            actor=SYSTEM,
            now=now,
            display_name="Bench Admin",
        )
        uow.commit()
    with fenpei.engine.connect() as connection:
        return int(connection.scalar(sa.select(sa.func.count()).select_from(t.customers)) or 0)


def _a_customer_with_history(fenpei: Fenpei) -> int:
    """An owned customer in the middle of the id range (the detail page shows its history)."""
    c = t.customers.c
    with fenpei.engine.connect() as connection:
        ids = connection.scalars(
            sa.select(c.id).where(c.owner_id.is_not(None)).order_by(c.id)
        ).all()
    return int(ids[len(ids) // 2])


def _log_in(client: TestClient) -> None:
    """The login form as a browser fills it in, then the session's CSRF token."""
    page = client.get("/login")
    found = _CSRF.search(page.text)
    form = {"username": USERNAME, "password": PASSWORD, "next": "/"}
    if found:
        form["csrf_token"] = found.group(1)
    response = client.post("/login", data=form, follow_redirects=False)
    if response.status_code != 303:
        raise RuntimeError(f"log-in refused: {response.status_code} {response.text[:200]}")


def _time(client: TestClient, timings: Timings) -> None:
    started = time.perf_counter()
    response = client.get(timings.path)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {timings.path}: {response.status_code} {response.text[:200]}")
    timings.seconds.append(elapsed)


def measure(fenpei: Fenpei, *, rounds: int) -> list[Timings]:
    """Every page, once per round in turn (so drift hits them alike), after a warm-up."""
    customer = _a_customer_with_history(fenpei)
    pages = [
        Timings("baseline: health check", "/healthz"),
        Timings("baseline: bare page, logged in", "/account/password"),
        Timings("customer list (客户)", "/customers"),
        Timings("customer detail", f"/customers/{customer}"),
        Timings("dashboard (监控看板)", "/dashboard"),
        Timings("teams (团队)", "/teams"),
    ]
    with TestClient(create_app(fenpei), follow_redirects=False) as client:
        _log_in(client)
        for page in pages:
            for _ in range(WARM_UP):
                _time(client, Timings(page.label, page.path))
        for _ in range(rounds):
            for page in pages:
                _time(client, page)
    return pages


def report(pages: list[Timings], *, customers: int, rounds: int) -> None:
    table = Table(show_edge=False, pad_edge=False)
    for name in ("page", "GETs", "p50 ms", "p95 ms", "p50 / healthz", "p50 / bare page"):
        table.add_column(name, justify="left" if name == "page" else "right")
    health, bare = (next(p for p in pages if p.path == path) for path in BASELINES)
    for page in pages:
        table.add_row(
            f"{page.label} ({page.path})",
            str(len(page.seconds)),
            f"{page.percentile(50):.1f}",
            f"{page.percentile(95):.1f}",
            f"{page.percentile(50) / health.percentile(50):.1f}x",
            f"{page.percentile(50) / bare.percentile(50):.1f}x",
        )
    console.print(
        f"[bold]pages[/]: {customers:,} customers (the demo's Maven data) on SQLite, "
        f"{rounds} rounds, one in-process client with a session"
    )
    console.print(table)


def run(rounds: int = 30) -> None:
    with fresh_fenpei("sqlite") as fenpei:
        try:
            customers = load_demo(fenpei)
            report(measure(fenpei, rounds=rounds), customers=customers, rounds=rounds)
        finally:
            fenpei.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.pages_bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="GETs of each page, in turn")
    run(rounds=parser.parse_args().rounds)
