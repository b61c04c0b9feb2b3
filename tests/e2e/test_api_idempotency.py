"""Idempotency-Key on the POSTs that create customers and leads: a retry, also one racing
the first request, gets the first answer and creates nothing more — and does no work: the
key is claimed before the customer is created and routed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import ValidationFailed
from fenpei.services import idempotency, intake
from tests.e2e.conftest import World, log_in, racing_clients
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_rules import API, customer_count
from tests.e2e.test_api_rules import default_rule as default_rule  # a fixture, shared

CREATING = [
    (f"{API}/customers", {"name": "Retried Co", "region": "East"}),
    (f"{API}/leads", {"name": "Retried lead", "region": "East"}),
]


@pytest.mark.parametrize(("path", "body"), CREATING, ids=["customers", "leads"])
def test_the_same_post_twice_creates_one_customer_and_answers_alike(
    app: Fenpei, user_client: TestClient, default_rule: int, path: str, body: dict[str, Any]
) -> None:
    headers = {"Idempotency-Key": "order-42"}
    before = customer_count(app)

    first = user_client.post(path, json=body, headers=headers)
    again = user_client.post(path, json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert customer_count(app) == before + 1


@pytest.mark.parametrize(("path", "body"), CREATING, ids=["customers", "leads"])
def test_the_same_key_for_another_body_is_a_conflict_and_writes_nothing(
    app: Fenpei, user_client: TestClient, default_rule: int, path: str, body: dict[str, Any]
) -> None:
    headers = {"Idempotency-Key": "order-43"}
    assert user_client.post(path, json=body, headers=headers).status_code == 201
    before = customer_count(app)

    other = user_client.post(path, json={**body, "name": "Someone else"}, headers=headers)

    assert_error(other, 409, "conflict")
    assert "order-43" in other.json()["message"]
    assert customer_count(app) == before


def test_a_key_used_for_a_customer_is_not_replayed_for_a_lead(
    app: Fenpei, user_client: TestClient, default_rule: int
) -> None:
    headers = {"Idempotency-Key": "shared"}
    body = {"name": "Same body"}
    assert user_client.post(f"{API}/customers", json=body, headers=headers).status_code == 201

    assert_error(user_client.post(f"{API}/leads", json=body, headers=headers), 409, "conflict")


def test_a_bad_request_leaves_the_key_unused(
    app: Fenpei, user_client: TestClient, default_rule: int
) -> None:
    headers = {"Idempotency-Key": "fix-and-retry"}
    bad = user_client.post(f"{API}/leads", json={"name": "X", "email": "nope"}, headers=headers)
    good = user_client.post(f"{API}/leads", json={"name": "X"}, headers=headers)

    assert_error(bad, 422, "validation_failed", "email")
    assert good.status_code == 201, good.text


class Work:
    """Counts the runs of ``intake.create_and_route`` (the work a key must not repeat); with
    ``hold_first`` the first run waits for ``release`` (and with ``fail_first`` then fails
    with a validation error), so a test knows the first request holds its key meanwhile."""

    def __init__(self, *, hold_first: bool = False, fail_first: bool = False) -> None:
        self.runs = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self._hold_first, self._fail_first = hold_first, fail_first
        self._lock = threading.Lock()
        self._real = intake.create_and_route

    def __call__(self, **kwargs: Any) -> Any:
        with self._lock:
            self.runs += 1
            first = self.runs == 1
        if first:
            self.started.set()
            if self._hold_first:
                assert self.release.wait(timeout=120), "never released"
            if self._fail_first:
                raise ValidationFailed.one("name", "refused for the test")
        return self._real(**kwargs)


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Work]]:
    def install(**options: bool) -> Work:
        counted = Work(**options)
        monkeypatch.setattr(intake, "create_and_route", counted)
        return counted

    yield install


def postgres_only(app: Fenpei) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers are serial: no request ever waits on an uncommitted key")


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` (a state other threads reach), for at most a minute."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"still not: {what}"
        time.sleep(0.02)


def lock_waiters(app: Fenpei) -> int:
    """Sessions of this database waiting for a lock now (PostgreSQL)."""
    with app.engine.connect() as connection:
        return int(
            connection.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        )


def start_posts(
    clients: list[TestClient], path: str, body: dict[str, Any], key: str
) -> tuple[list[threading.Thread], list[tuple[int, dict[str, Any]]]]:
    answers: list[tuple[int, dict[str, Any]]] = []

    def post(one: TestClient) -> None:
        response = one.post(path, json=body, headers={"Idempotency-Key": key})
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=post, args=(one,)) for one in clients]
    for thread in threads:
        thread.start()
    return threads, answers


def join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()


@pytest.mark.parametrize(("path", "body"), CREATING, ids=["customers", "leads"])
def test_duplicates_arriving_while_the_first_works_wait_for_it_and_do_nothing(
    app: Fenpei,
    seeded: World,
    default_rule: int,
    work: Callable[..., Work],
    path: str,
    body: dict[str, Any],
) -> None:
    postgres_only(app)
    racers = 5
    clients = racing_clients(app, racers, path)
    for one in clients:
        log_in(one)
    before = customer_count(app)
    counted = work(hold_first=True)

    first, answers = start_posts(clients[:1], path, body, "while-working")
    assert counted.started.wait(timeout=60)
    others, later = start_posts(clients[1:], path, body, "while-working")
    # Each duplicate either waits for the first's key now or (doing the work itself) is done.
    wait_until(
        lambda: lock_waiters(app) + sum(not t.is_alive() for t in others) == racers - 1,
        "every duplicate waiting or done",
    )
    counted.release.set()
    join(first + others)
    for one in clients:
        one.close()

    answers += later
    assert counted.runs == 1
    assert sorted(status for status, _ in answers) == [200] * (racers - 1) + [201], answers
    assert len({answer["customer"]["id"] for _, answer in answers}) == 1
    assert customer_count(app) == before + 1


def test_a_duplicate_waiting_for_a_first_request_that_fails_does_the_work(
    app: Fenpei, seeded: World, default_rule: int, work: Callable[..., Work]
) -> None:
    postgres_only(app)
    path, body = CREATING[1]
    clients = racing_clients(app, 2, path)
    for one in clients:
        log_in(one)
    before = customer_count(app)
    counted = work(hold_first=True, fail_first=True)

    first, answers = start_posts(clients[:1], path, body, "first-fails")
    assert counted.started.wait(timeout=60)
    second, later = start_posts(clients[1:], path, body, "first-fails")
    wait_until(lambda: lock_waiters(app) + (not second[0].is_alive()) == 1, "second waiting")
    counted.release.set()
    join(first + second)
    for one in clients:
        one.close()

    assert (answers[0][0], later[0][0]) == (422, 201), (answers, later)
    assert counted.runs == 2
    assert customer_count(app) == before + 1


def test_a_key_held_too_long_by_another_request_is_a_conflict_and_writes_nothing(
    app: Fenpei, user_client: TestClient, default_rule: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgres_only(app)
    monkeypatch.setattr(idempotency, "CLAIM_WAIT", timedelta(seconds=1))
    path, body = CREATING[0]
    before = customer_count(app)
    answers: list[tuple[int, dict[str, Any]]] = []

    def post() -> None:
        response = user_client.post(path, json=body, headers={"Idempotency-Key": "held"})
        answers.append((response.status_code, response.json()))

    # Another request's claim, uncommitted: the key's row inserted in an open transaction.
    with app.engine.connect() as holder:
        holder.execute(
            sa.insert(tables.idempotent_requests).values(
                key="held",
                kind="customer",
                fingerprint="0" * 64,
                object_id=0,
                response={},
                created_at=app.now(),
            )
        )
        waiting = threading.Thread(target=post)
        waiting.start()
        waiting.join(timeout=60)  # a bound in case the wait is not; the holder ends anyway
        holder.rollback()
    waiting.join(timeout=60)

    assert len(answers) == 1
    status, answer = answers[0]
    assert (status, answer["code"]) == (409, "conflict"), answer
    assert answer["message"] == "a request with this key is still being processed; retry"
    assert customer_count(app) == before
    with app.uow(read_only=True) as uow:
        assert uow.idempotency.get("held") is None
    retry = user_client.post(path, json=body, headers={"Idempotency-Key": "held"})
    assert retry.status_code == 201, retry.text


@pytest.mark.parametrize(("path", "body"), CREATING, ids=["customers", "leads"])
def test_concurrent_duplicates_create_one_customer(
    app: Fenpei,
    seeded: World,
    default_rule: int,
    work: Callable[..., Work],
    path: str,
    body: dict[str, Any],
) -> None:
    racers = 6
    clients = racing_clients(app, racers, path)
    for one in clients:
        log_in(one)
    before = customer_count(app)
    counted = work()
    start = threading.Barrier(racers)
    answers: list[tuple[int, dict[str, Any]]] = []

    def post(one: TestClient) -> None:
        start.wait()
        response = one.post(path, json=body, headers={"Idempotency-Key": "at-once"})
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=post, args=(one,)) for one in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for one in clients:
        one.close()

    assert sorted(status for status, _ in answers) == [200] * (racers - 1) + [201], answers
    assert len({answer["customer"]["id"] for _, answer in answers}) == 1
    assert customer_count(app) == before + 1
    assert counted.runs == 1  # the others waited for the key, not for their own commit
