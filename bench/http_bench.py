"""Create-and-route over HTTP vs a bare INSERT endpoint, same server, same run.

uvicorn (``--workers`` processes) serves fenpei on a fresh PostgreSQL database holding
the Maven org (3 offices, 35 reps, 16 rules, 8,800 customers with their history).
N client threads, each with its own keep-alive connection (``http.client``: a light
client, so the server is what is measured), first post to ``POST /api/bench/bare`` (one
INSERT of a customer row, no auth, defined in ``bench._http_app``), then to
``POST /api/bench/bare-authed`` (the same INSERT behind the leads route's authentication),
then to ``POST /api/v1/leads`` (authenticate, validate, store, route, record, audit), for a
fixed time each after a warm-up. Goal: create-and-route at 50%+ of bare; the ratio is given
against both baselines. Server CPU per request is read from /proc.

    python -m bench.http_bench --clients 8 --workers 1 --seconds 5
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import httpx2
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bench._databases import PG_ADMIN_URL, fresh_fenpei, postgres_available
from bench._http_app import AUTHED_PATH, BARE_PATH
from bench._http_auth import log_in
from bench._http_report import Phase, console, report
from bench._org import leads, seed_maven
from bench.query_count import through_http
from fenpei.adapters.db import tables as t
from fenpei.app import create_app
from fenpei.bootstrap import Fenpei

LEADS_PATH = "/api/v1/leads"
# Names tell the two kinds of rows apart.
PREFIX = {BARE_PATH: "bare", AUTHED_PATH: "bare", LEADS_PATH: "routed"}
WARM_UP_SECONDS = 1.0
ROOT = str(Path(__file__).resolve().parents[1])  # so the server can import bench._http_app


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    pids: tuple[int, ...]  # one uvicorn process per port
    ports: tuple[int, ...]
    database: str  # its name, to find PostgreSQL's backends serving it

    def cpu_seconds(self) -> float | None:
        used = [_cpu_seconds(pid) for pid in self.pids]
        return None if None in used else sum(u for u in used if u is not None)


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of ``pid`` and its descendants so far (Linux /proc)."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        total, todo = 0.0, [pid]
        while todo:
            current = todo.pop()
            with open(f"/proc/{current}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        return total
    except (OSError, ValueError):
        return None


def _backend_cpu(database: str) -> dict[int, float] | None:
    """CPU seconds so far of each PostgreSQL backend connected to ``database`` (same host)."""
    engine = sa.create_engine(PG_ADMIN_URL)
    try:
        with engine.connect() as connection:
            pids = connection.scalars(
                sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                {"name": database},
            ).all()
    finally:
        engine.dispose()
    used = {pid: _cpu_seconds(pid) for pid in pids}
    return None if None in used.values() else {k: v for k, v in used.items() if v is not None}


@contextmanager
def serving(database_url: str, *, workers: int) -> Iterator[Server]:
    """``workers`` uvicorn processes (each its own interpreter and GIL, like app processes
    behind a load balancer), each on a free local port. Not uvicorn's ``--workers``: its
    worker processes answered every request ~40 ms late here (Nagle and delayed ACK, it
    seems), which hides any difference between the endpoints."""
    env = {
        **os.environ,
        "FENPEI_DATABASE_URL": database_url,
        "FENPEI_MODE": "dev",
        "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])),
    }
    ports = [_free_port() for _ in range(workers)]
    database = sa.engine.make_url(database_url).database or ""
    command = [sys.executable, "-m", "uvicorn", "bench._http_app:app_from_env", "--factory",
               "--host", "127.0.0.1", "--log-level", "warning", "--no-access-log"]  # fmt: skip
    processes = [subprocess.Popen([*command, "--port", str(port)], env=env) for port in ports]
    try:
        for process, port in zip(processes, ports, strict=True):
            _wait_until_up(process, port)
        yield Server(tuple(p.pid for p in processes), tuple(ports), database)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}")
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not answer /healthz within 60 s")
        time.sleep(0.2)


def _client(
    port: int, headers: dict[str, str], phase: Phase, until: float, numbers: count[int]
) -> None:
    """Post leads to ``phase.path`` over one keep-alive connection until ``until``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {**headers, "Content-Type": "application/json"}
    prefix = PREFIX[phase.path]
    try:
        while (started := time.perf_counter()) < until:
            body = json.dumps(leads(1, start=next(numbers), prefix=prefix)[0]).encode()
            try:
                connection.request("POST", phase.path, body=body, headers=sent)
                response = connection.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException) as exc:
                phase.errors.append(f"{type(exc).__name__}: {exc}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            if response.status != 201:
                phase.errors.append(f"{response.status}: {answer[:200]!r}")
                continue
            phase.latencies.append(time.perf_counter() - started)
    finally:
        connection.close()


def _drive(
    server: Server,
    headers: dict[str, str],
    path: str,
    *,
    clients: int,
    seconds: float,
    numbers: count[int],
) -> Phase:
    """``clients`` threads posting to ``path`` for ``seconds`` (after a warm-up not kept)."""
    for length, keep in ((WARM_UP_SECONDS, False), (seconds, True)):
        phase = Phase(path)
        until = time.perf_counter() + length
        threads = [
            threading.Thread(
                target=_client,
                args=(server.ports[i % len(server.ports)], headers, phase, until, numbers),
            )
            for i in range(clients)
        ]
        cpu_before, db_before = server.cpu_seconds(), _backend_cpu(server.database)
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        phase.seconds = time.perf_counter() - started
        cpu_after, db_after = server.cpu_seconds(), _backend_cpu(server.database)
        if cpu_before is not None and cpu_after is not None:
            phase.server_cpu = cpu_after - cpu_before
        if db_before is not None and db_after is not None:
            # Backends opened during the phase started from zero; closed ones are lost.
            phase.database_cpu = sum(v - db_before.get(pid, 0.0) for pid, v in db_after.items())
        if keep:
            return phase
    raise AssertionError("unreachable")


def _authenticate(fenpei: Fenpei, port: int) -> tuple[dict[str, str], str]:
    """Headers for the admin: a bearer token, or the session and CSRF cookies and header."""
    with httpx2.Client(base_url=f"http://127.0.0.1:{port}") as client:
        headers, how = log_in(client, fenpei)
        if cookies := "; ".join(f"{k}={v}" for k, v in client.cookies.items()):
            headers = {**headers, "Cookie": cookies}
    return headers, how


def _statements_per_lead(fenpei: Fenpei) -> int:
    """Statements one create-and-route sends over HTTP once warm (counted in this process)."""
    with TestClient(create_app(fenpei)) as client:
        headers, _ = log_in(client, fenpei)
        fields = leads(2, start=10**7, prefix="count")
        through_http(fenpei, client, headers, fields[0])
        return len(through_http(fenpei, client, headers, fields[1]))


def _routed(fenpei: Fenpei) -> tuple[int, int]:
    """(leads stored by the route, of which owned): every one should have found a rep."""
    c = t.customers.c
    with fenpei.engine.connect() as connection:
        stored, owned = connection.execute(
            sa.select(sa.func.count(), sa.func.count(c.owner_id)).where(c.name.like("routed %"))
        ).one()
    return int(stored), int(owned)


def run(*, clients: int = 8, workers: int = 1, seconds: float = 5.0) -> None:
    console.print(
        f"\n[bold]== HTTP: create-and-route vs a bare INSERT endpoint "
        f"({clients} clients, {workers} uvicorn worker{'s' * (workers > 1)}, PostgreSQL) ==[/]"
    )
    if not postgres_available():
        console.print(f"  skipped: PostgreSQL at {PG_ADMIN_URL} unreachable")
        return
    with fresh_fenpei("postgres") as fenpei:
        seed_maven(fenpei)
        with fenpei.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        url = fenpei.engine.url.render_as_string(hide_password=False)
        numbers = count()
        with serving(url, workers=workers) as server:
            headers, how = _authenticate(fenpei, server.ports[0])
            bare, authed, routed = (
                _drive(server, headers, path, clients=clients, seconds=seconds, numbers=numbers)
                for path in (BARE_PATH, AUTHED_PATH, LEADS_PATH)
            )
        stored, owned = _routed(fenpei)
        statements = _statements_per_lead(fenpei)
        fenpei.close()
    report(bare, authed, routed, how=how, statements=statements, stored=stored, owned=owned)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn processes")
    parser.add_argument("--seconds", type=float, default=5.0, help="timed seconds per endpoint")
    options = parser.parse_args()
    run(clients=options.clients, workers=options.workers, seconds=options.seconds)


if __name__ == "__main__":
    main()
