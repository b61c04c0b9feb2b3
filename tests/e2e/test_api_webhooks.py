"""Signed lead intake over HTTP, on SQLite and PostgreSQL: a good signature stores and routes
the lead as /leads does; anything wrong is refused with nothing written."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.services import tokens, webhooks
from tests.e2e.conftest import World, asgi_app, racing_clients
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_rules import default_rule as default_rule  # a fixture, shared
from tests.e2e.test_api_tokens import count, make_token, token_row
from tests.fakes import FixedClock

URL = "/api/v1/webhooks/leads"
LEAD = json.dumps({"name": "Wang Fang 王芳", "region": "East"}, ensure_ascii=False).encode()


def prefix_of(plaintext: str) -> str:
    return plaintext.split("_")[1]


def signed_headers(
    app: Fenpei, plaintext: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    prefix = prefix_of(plaintext)
    secret = webhooks.webhook_secret(secret_key=app.settings.secret_key, prefix=prefix)
    stamp = str(timestamp if timestamp is not None else int(app.now().timestamp()))
    return {
        "Content-Type": "application/json",
        "X-Fenpei-Token-Id": prefix,
        "X-Fenpei-Timestamp": stamp,
        "X-Fenpei-Signature": webhooks.signature(secret=secret, timestamp=stamp, body=body),
    }


def written(app: Fenpei) -> tuple[int, int, int]:
    """Rows that an accepted lead adds: customers, assignments, audit entries."""
    return (
        count(app, tables.customers),
        count(app, tables.assignments),
        count(app, tables.audit_log),
    )


@pytest.fixture
def hook(app: Fenpei, seeded: World, default_rule: int) -> Iterator[TestClient]:
    """A client with no session, as a sending system is."""
    with TestClient(asgi_app(app), follow_redirects=False) as client:
        yield client


def test_a_signed_lead_is_stored_and_routed_like_a_posted_one(
    app: Fenpei, hook: TestClient
) -> None:
    token_id, plaintext = make_token(app, "leads:write")
    before = written(app)

    response = hook.post(URL, content=LEAD, headers=signed_headers(app, plaintext, LEAD))

    assert response.status_code == 201, response.text
    customer, decision = response.json()["customer"], response.json()["decision"]
    assert customer["name"] == "Wang Fang 王芳" and decision["outcome"] == "pool"
    assert written(app)[0] == before[0] + 1
    assert token_row(app, token_id)["last_used_at"] == app.now()
    with app.engine.connect() as connection:
        actor = connection.scalar(
            sa.select(tables.audit_log.c.actor).where(
                tables.audit_log.c.object_type == "customer",
                tables.audit_log.c.object_id == str(customer["id"]),
            )
        )
    assert actor == "admin"


def refused(
    app: Fenpei, hook: TestClient, body: bytes, headers: dict[str, str], status: int
) -> str:
    before = written(app)
    response = hook.post(URL, content=body, headers=headers)
    assert_error(response, status, "not_authenticated" if status == 401 else "permission_denied")
    assert written(app) == before, "a refused webhook wrote something"
    message: str = response.json()["message"]
    return message


def test_a_wrong_signature_is_401(app: Fenpei, hook: TestClient) -> None:
    _, plaintext = make_token(app, "leads:write")
    headers = {**signed_headers(app, plaintext, LEAD), "X-Fenpei-Signature": "sha256=" + "ab" * 32}
    assert refused(app, hook, LEAD, headers, 401).startswith("X-Fenpei-Signature: ")


def test_a_signature_with_another_tokens_secret_is_401(app: Fenpei, hook: TestClient) -> None:
    _, plaintext = make_token(app, "leads:write")
    _, other = make_token(app, "leads:write")
    headers = {
        **signed_headers(app, other, LEAD),
        "X-Fenpei-Token-Id": prefix_of(plaintext),
    }
    assert refused(app, hook, LEAD, headers, 401).startswith("X-Fenpei-Signature: ")


def test_a_tampered_body_is_401(app: Fenpei, hook: TestClient) -> None:
    _, plaintext = make_token(app, "leads:write")
    headers = signed_headers(app, plaintext, LEAD)
    tampered = LEAD.replace(b"East", b"West")
    assert refused(app, hook, tampered, headers, 401).startswith("X-Fenpei-Signature: ")


def test_a_stale_timestamp_is_401_even_when_correctly_signed(
    app: Fenpei, hook: TestClient, clock: FixedClock
) -> None:
    _, plaintext = make_token(app, "leads:write")
    headers = signed_headers(app, plaintext, LEAD)
    clock.advance(minutes=5, seconds=1)
    assert refused(app, hook, LEAD, headers, 401).startswith("X-Fenpei-Timestamp: ")


def test_a_revoked_token_cannot_sign(app: Fenpei, hook: TestClient) -> None:
    token_id, plaintext = make_token(app, "leads:write")
    with app.uow() as uow:
        tokens.revoke_token(uow=uow, token_id=token_id, actor=SYSTEM, now=app.now())
        uow.commit()
    headers = signed_headers(app, plaintext, LEAD)
    assert refused(app, hook, LEAD, headers, 401).startswith("X-Fenpei-Token-Id: ")


def test_a_token_without_leads_write_is_403(app: Fenpei, hook: TestClient) -> None:
    token_id, plaintext = make_token(app, "leads:read", "customers:write")
    headers = signed_headers(app, plaintext, LEAD)
    assert "'leads:write'" in refused(app, hook, LEAD, headers, 403)
    assert token_row(app, token_id)["last_used_at"] is None


def test_a_missing_header_is_401_naming_it(app: Fenpei, hook: TestClient) -> None:
    _, plaintext = make_token(app, "leads:write")
    headers = signed_headers(app, plaintext, LEAD)
    del headers["X-Fenpei-Timestamp"]
    assert refused(app, hook, LEAD, headers, 401) == "missing header(s): X-Fenpei-Timestamp"


def test_a_signed_but_invalid_lead_is_422_naming_the_field(app: Fenpei, hook: TestClient) -> None:
    _, plaintext = make_token(app, "leads:write")
    before = written(app)
    for body, field in ((b'{"name": "x", "email": "not an email"}', "email"), (b"{", "body")):
        response = hook.post(URL, content=body, headers=signed_headers(app, plaintext, body))
        assert_error(response, 422, "validation_failed", field)
    assert written(app) == before


def test_the_signing_recipe_is_in_the_api_docs(hook: TestClient) -> None:
    operation = hook.get("/openapi.json").json()["paths"][URL]["post"]
    assert "X-Fenpei-Signature" in operation["description"]
    assert "hmac.new(" in operation["description"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "route" in schema["properties"]


# --- a signed request is processed once ------------------------------------------------------


def test_a_replayed_signed_request_is_409_and_stores_nothing_more(
    app: Fenpei, hook: TestClient, clock: FixedClock
) -> None:
    _, plaintext = make_token(app, "leads:write")
    headers = signed_headers(app, plaintext, LEAD)
    assert hook.post(URL, content=LEAD, headers=headers).status_code == 201
    before = written(app)
    clock.advance(minutes=4)  # still inside the signature's window

    replay = hook.post(URL, content=LEAD, headers=headers)

    assert_error(replay, 409, "webhook_replayed")
    assert "sign it again" in replay.json()["message"]
    assert written(app) == before


def test_concurrent_replays_of_one_signed_request_store_one_lead(
    app: Fenpei, hook: TestClient
) -> None:
    _, plaintext = make_token(app, "leads:write")
    headers = signed_headers(app, plaintext, LEAD)
    racers = 6
    clients = racing_clients(app, racers, URL)
    before = count(app, tables.customers)
    start = threading.Barrier(racers)
    statuses: list[int] = []

    def post(one: TestClient) -> None:
        start.wait()
        statuses.append(one.post(URL, content=LEAD, headers=headers).status_code)

    threads = [threading.Thread(target=post, args=(one,)) for one in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for one in clients:
        one.close()

    assert sorted(statuses) == [201] + [409] * (racers - 1), statuses
    assert count(app, tables.customers) == before + 1


def test_a_retry_signed_again_with_the_same_idempotency_key_gets_the_first_answer(
    app: Fenpei, hook: TestClient, clock: FixedClock
) -> None:
    _, plaintext = make_token(app, "leads:write")
    key = {"Idempotency-Key": "lead-7"}
    first = hook.post(URL, content=LEAD, headers={**signed_headers(app, plaintext, LEAD), **key})
    clock.advance(seconds=30)

    retry = hook.post(URL, content=LEAD, headers={**signed_headers(app, plaintext, LEAD), **key})

    assert (first.status_code, retry.status_code) == (201, 200), retry.text
    assert retry.json() == first.json()


def test_a_refused_request_leaves_no_receipt_and_can_be_sent_again(
    app: Fenpei, hook: TestClient
) -> None:
    _, plaintext = make_token(app, "leads:write")
    headers = signed_headers(app, plaintext, LEAD)
    invalid = b'{"name": "x", "email": "not an email"}'
    bad_headers = signed_headers(app, plaintext, invalid)
    assert hook.post(URL, content=invalid, headers=bad_headers).status_code == 422
    assert count(app, tables.webhook_receipts) == 0

    assert hook.post(URL, content=LEAD, headers=headers).status_code == 201
    assert count(app, tables.webhook_receipts) == 1


def test_receipts_are_purged_once_their_window_has_ended(
    app: Fenpei, hook: TestClient, clock: FixedClock
) -> None:
    _, plaintext = make_token(app, "leads:write")
    for n in range(3):
        body = json.dumps({"name": f"Lead {n}"}).encode()
        response = hook.post(URL, content=body, headers=signed_headers(app, plaintext, body))
        assert response.status_code == 201, response.text
    assert count(app, tables.webhook_receipts) == 3
    clock.advance(minutes=5, seconds=1)

    response = hook.post(URL, content=LEAD, headers=signed_headers(app, plaintext, LEAD))

    assert response.status_code == 201, response.text
    assert count(app, tables.webhook_receipts) == 1
