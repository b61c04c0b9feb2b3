"""The HTTP benchmark's measurements and its table: what the clients saw per endpoint."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

console = Console(highlight=False, width=110)


@dataclass
class Phase:
    """What the clients saw posting to one endpoint, and the server's CPU time meanwhile."""

    path: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float | None = None  # seconds, every uvicorn process (None: no /proc)
    database_cpu: float | None = None  # seconds, PostgreSQL's backends for the bench db

    def per_request(self, seconds: float | None) -> str:
        """CPU milliseconds per request: what a busy machine inflates least."""
        if seconds is None or not self.latencies:
            return "-"
        return f"{seconds / len(self.latencies) * 1000:.2f}"

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] * 1000


def report(
    bare: Phase,
    authed: Phase,
    routed: Phase,
    *,
    how: str,
    statements: int,
    stored: int,
    owned: int,
) -> None:
    table = Table(show_edge=False, pad_edge=False)
    for name in (
        "endpoint",
        "requests",
        "req/s",
        "p50 ms",
        "p99 ms",
        "server CPU ms/req",
        "db CPU ms/req",
        "errors",
    ):
        table.add_column(name, justify="left" if name == "endpoint" else "right")
    rows = (("bare INSERT, no auth", bare), ("bare INSERT, same auth", authed),
            ("create-and-route", routed))  # fmt: skip
    for label, phase in rows:
        table.add_row(
            f"{label} ({phase.path})",
            str(len(phase.latencies)),
            f"{phase.rate:.0f}",
            f"{phase.percentile(50):.1f}",
            f"{phase.percentile(99):.1f}",
            phase.per_request(phase.server_cpu),
            phase.per_request(phase.database_cpu),
            str(len(phase.errors)),
        )
    console.print(table)
    for label, baseline in (("bare (no auth)", bare), ("bare behind the same auth", authed)):
        ratio = routed.rate / baseline.rate if baseline.rate else 0.0
        verdict = "[green]meets[/]" if ratio >= 0.5 else "[red]misses[/]"
        console.print(f"  create-and-route = {ratio:.2f}x of {label} ({verdict} the 0.50x goal)")
    console.print(
        f"  {statements} SQL statements per create-and-route over HTTP | auth: {how} | "
        f"{owned}/{stored} benchmark leads owned"
    )
    for phase in (bare, authed, routed):
        for error in phase.errors[:3]:
            console.print(f"  [red]error[/] {phase.path}: {error}")
