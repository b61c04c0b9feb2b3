"""Failed-login counters in SQLite and PostgreSQL: exact under concurrent failures."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from fenpei.bootstrap import Fenpei
from fenpei.domain.access import LoginFailures
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import users
from fenpei.services.login_throttle import LoginAttempt, LoginPolicy, log_in
from tests.fakes import FakeHasher

THREADS = 8


class SlowHasher(FakeHasher):
    """A password check that takes a while, as argon2 does, widening every race; counted."""

    def __init__(self) -> None:
        super().__init__()
        self.verify_calls = 0
        self._lock = threading.Lock()

    def verify(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.verify_calls += 1
        time.sleep(0.05)
        return super().verify(password_hash, password)


@pytest.fixture
def hasher(app: Fenpei) -> SlowHasher:
    slow = SlowHasher()
    with app.uow() as uow:
        users.create_user(
            uow=uow,
            hasher=slow,
            username="ada",
            password="correct horse battery",
            role=Role.admin,
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()
    return slow


def fail_at_once(app: Fenpei, hasher: SlowHasher, policy: LoginPolicy) -> list[LoginAttempt]:
    """``THREADS`` wrong passwords for one user from one address, all started together."""
    start = threading.Barrier(THREADS)

    def one(n: int) -> LoginAttempt:
        start.wait()
        with app.uow() as uow:
            result = log_in(
                uow=uow,
                hasher=hasher,
                username="ada",
                password=f"wrong {n}",
                client="10.0.0.1",
                now=app.now(),
                policy=policy,
            )
            uow.commit()
        return result

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(THREADS), timeout=120))


def stored(app: Fenpei, key: str) -> LoginFailures | None:
    with app.uow(read_only=True) as uow:
        return uow.login_failures.get(key)


def test_concurrent_failures_are_each_counted_once(app: Fenpei, hasher: SlowHasher) -> None:
    results = fail_at_once(app, hasher, LoginPolicy(max_failures=100))

    assert all(r.user is None and r.locked_until is None for r in results)
    for key in ("user:ada", "ip:10.0.0.1"):
        found = stored(app, key)
        assert found is not None and found.failures == THREADS, key
    with app.uow(read_only=True) as uow:
        assert len(uow.audit.find(object_type="login", object_id="ada")) == THREADS


def test_concurrent_failures_lock_and_every_password_checked_is_counted(
    app: Fenpei, hasher: SlowHasher
) -> None:
    fail_at_once(app, hasher, LoginPolicy(max_failures=5))

    found = stored(app, "user:ada")
    assert found is not None and found.locked_until == app.now() + timedelta(minutes=15)
    # No guess goes uncounted: the attempts refused by the lock checked no password.
    assert found.failures == hasher.verify_calls >= 5
    with app.uow(read_only=True) as uow:
        locks = uow.audit.find(object_type="login_failures", object_id="user:ada")
    assert len(locks) == 1, "the lock is recorded once"


def test_success_deletes_the_user_counter_row_whatever_case_the_failures_used(
    app: Fenpei, hasher: SlowHasher
) -> None:
    policy = LoginPolicy()
    for username, password in [("ADA", "wrong"), ("ada", "correct horse battery")]:
        with app.uow() as uow:
            log_in(
                uow=uow,
                hasher=hasher,
                username=username,
                password=password,
                client="10.0.0.1",
                now=app.now(),
                policy=policy,
            )
            uow.commit()

    assert stored(app, "user:ada") is None
    address = stored(app, "ip:10.0.0.1")
    assert address is not None and address.failures == 1
