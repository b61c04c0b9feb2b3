"""The outbox: what writing an event with every assignment costs (create-and-route with the
event vs the same with the event write removed, alternating rounds), and how fast the
dispatcher delivers to a local HTTP receiver vs posting the same messages directly."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from random import Random
from typing import Any
from unittest import mock

from bench._databases import fresh_fenpei, kinds
from fenpei.adapters.db.repositories.outbox import SqlOutbox
from fenpei.adapters.notify import build_outlets
from fenpei.bootstrap import Fenpei
from fenpei.config import Settings
from fenpei.domain.users import SYSTEM
from fenpei.services import org, rules
from fenpei.services.intake import create_and_route
from fenpei.services.notifications.dispatch import dispatch_once

LEADS_PER_ROUND = 150
ROUNDS = 4
MESSAGES = 600


def _world(fenpei: Fenpei) -> None:
    with fenpei.uow() as uow:
        team = org.create_team(uow=uow, name="Sales", actor=SYSTEM, now=fenpei.now())
        for n in range(20):
            org.create_rep(
                uow=uow,
                fields={"name": f"Rep {n}", "team_id": team.id, "max_open": 100_000},
                actor=SYSTEM,
                now=fenpei.now(),
            )
        rules.create_rule(
            uow=uow,
            fields={
                "name": "Round robin",
                "priority": 10,
                "conditions": {},
                "target": {"kind": "team", "team_id": team.id},
                "strategy": "round_robin",
            },
            actor=SYSTEM,
            now=fenpei.now(),
        )
        uow.commit()


def _create_and_route(fenpei: Fenpei, count: int, start: int) -> float:
    rng = Random(start)
    began = time.perf_counter()
    for n in range(start, start + count):
        with fenpei.uow() as uow:
            create_and_route(
                uow=uow,
                rulebook=fenpei.rulebook,
                fields={"name": f"Lead {n}"},
                actor=SYSTEM,
                now=fenpei.now(),
                rng=rng,
            )
            uow.commit()
    return count / (time.perf_counter() - began)


@contextmanager
def _receiver() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sms"
    finally:
        server.shutdown()
        server.server_close()


def _direct(url: str, count: int) -> float:
    """The baseline: the same number of JSON POSTs, straight from a loop."""
    began = time.perf_counter()
    for n in range(count):
        body = json.dumps({"to": ["+8613800138000"], "text": f"Lead {n}", "key": str(n)})
        request = urllib.request.Request(
            url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
    return count / (time.perf_counter() - began)


def _dispatch_all(fenpei: Fenpei, url: str) -> float:
    robots = [{"name": "sms", "kind": "sms", "url": url, "to": ["+8613800138000"]}]
    outlets = build_outlets(Settings(robots=robots))  # type: ignore[arg-type]
    began = time.perf_counter()
    delivered = 0
    while report := dispatch_once(
        uow_factory=fenpei.uow, outlets=outlets, now=fenpei.now, worker="bench", rng=Random(1)
    ):
        delivered += report.delivered
    return delivered / (time.perf_counter() - began)


def run() -> None:
    print("\n== Outbox: the cost of an event per assignment; delivery rate ==")
    for kind in kinds():
        with fresh_fenpei(kind) as fenpei:
            _world(fenpei)
            with_events, without = [], []
            for n in range(ROUNDS):  # alternate, so drift in the database hits both alike
                with_events.append(_create_and_route(fenpei, LEADS_PER_ROUND, 2 * n * 1000))
                with mock.patch.object(SqlOutbox, "add", lambda self, event: None):
                    without.append(_create_and_route(fenpei, LEADS_PER_ROUND, (2 * n + 1) * 1000))
            on, off = sum(with_events) / ROUNDS, sum(without) / ROUNDS
            with _receiver() as url:
                direct = _direct(url, MESSAGES)
                dispatched = _dispatch_all(fenpei, url)
            fenpei.close()
        print(
            f"  {kind:8} create-and-route {on:6.0f}/s with the event, {off:6.0f}/s without: "
            f"outbox on = {on / off:.2f}x of off | delivery {dispatched:6.0f}/s vs direct "
            f"POSTs {direct:6.0f}/s = {dispatched / direct:.2f}x"
        )
