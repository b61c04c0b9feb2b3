"""The SQL statements one create-and-route sends, listed: `python -m bench.query_count`.

Counted on the Maven org (16 rules, 35 reps) after one warm-up request, through the
service (``intake.create_and_route`` in its own unit of work) and through the HTTP route
(``POST /api/v1/leads``, which also reads the session's user and the owner's name)."""

from __future__ import annotations

from random import Random

from fastapi.testclient import TestClient

from bench._databases import fresh_fenpei, kinds
from bench._http_auth import log_in
from bench._org import leads, seed_maven
from bench._statements import statements, summary
from fenpei.app import create_app
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.services.intake import create_and_route


def through_service(fenpei: Fenpei, fields: dict[str, object]) -> list[str]:
    with statements(fenpei.engine) as seen, fenpei.uow() as uow:
        create_and_route(
            uow=uow,
            rulebook=fenpei.rulebook,
            fields=fields,
            actor=SYSTEM,
            now=fenpei.now(),
            rng=Random(1),
        )
        uow.commit()
    return seen


def through_http(
    fenpei: Fenpei, client: TestClient, headers: dict[str, str], fields: dict[str, object]
) -> list[str]:
    with statements(fenpei.engine) as seen:
        response = client.post("/api/v1/leads", json=fields, headers=headers)
    assert response.status_code == 201, response.text
    return seen


def run(*, verbose: bool = True) -> dict[str, tuple[int, int]]:
    """Statements per create-and-route by database kind: (service, HTTP)."""
    counts = {}
    for kind in kinds():
        with fresh_fenpei(kind) as fenpei:
            seed_maven(fenpei)
            batch = leads(4)
            through_service(fenpei, batch[0])  # warm: rules compiled, caches filled
            service = through_service(fenpei, batch[1])
            with TestClient(create_app(fenpei)) as client:
                headers, how = log_in(client, fenpei)
                through_http(fenpei, client, headers, batch[2])
                http = through_http(fenpei, client, headers, batch[3])
            fenpei.close()
        counts[kind] = (len(service), len(http))
        if verbose:
            print(f"\n== {kind}: {len(service)} statements (service), {len(http)} (HTTP, {how}) ==")
            for number, statement in enumerate(http, 1):
                print(f"  {number:2}. {summary(statement)}")
    return counts


if __name__ == "__main__":
    run()
