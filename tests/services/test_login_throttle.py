"""Throttled logins on the fakes: counting per username and per address, locks, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fenpei.domain.access import LoginFailures
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import users
from fenpei.services.login_throttle import (
    LoginAttempt,
    LoginPolicy,
    count_failure,
    lock_ends,
    log_in,
    throttle_keys,
)
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock, in_transaction

PASSWORD = "correct horse battery"
POLICY = LoginPolicy()  # 5 failures within 15 minutes lock for 15 minutes
T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


class CountingHasher(FakeHasher):
    """Counts password checks: a locked login must not reach one."""

    def __init__(self) -> None:
        super().__init__()
        self.verify_calls = 0

    def verify(self, password_hash: str, password: str) -> bool:
        self.verify_calls += 1
        return super().verify(password_hash, password)


@pytest.fixture
def counting() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def ada(uow: FakeUnitOfWork, counting: CountingHasher, clock: FixedClock) -> str:
    in_transaction(
        uow,
        lambda: users.create_user(
            uow=uow,
            hasher=counting,
            username="ada",
            password=PASSWORD,
            role=Role.admin,
            actor=SYSTEM,
            now=clock.now(),
        ),
    )
    return "ada"


def attempt(
    uow: FakeUnitOfWork,
    hasher: FakeHasher,
    clock: FixedClock,
    username: str,
    password: str,
    *,
    client: str = "10.0.0.1",
) -> LoginAttempt:
    """One login, committed as the web route commits it."""
    return in_transaction(
        uow,
        lambda: log_in(
            uow=uow,
            hasher=hasher,
            username=username,
            password=password,
            client=client,
            now=clock.now(),
            policy=POLICY,
        ),
    )


def counter(uow: FakeUnitOfWork, key: str) -> LoginFailures | None:
    with uow:
        return uow.login_failures.get(key)


# --- the policy, pure ---------------------------------------------------------------------


def test_the_fifth_failure_within_the_window_locks_for_the_lockout() -> None:
    state = None
    for minute in range(5):
        state = count_failure(
            state, key="user:ada", now=T0 + timedelta(minutes=minute), policy=POLICY
        )
        assert (state.locked_until is None) == (minute < 4), minute

    assert state is not None and state.failures == 5
    assert state.locked_until == T0 + timedelta(minutes=4 + 15)


def test_failures_spread_wider_than_the_window_never_lock() -> None:
    state = None
    for n in range(10):
        state = count_failure(state, key="ip:x", now=T0 + timedelta(minutes=4 * n), policy=POLICY)

    assert state is not None and state.locked_until is None and state.failures < 5


def test_a_failure_while_locked_is_counted_without_extending_the_lock() -> None:
    locked = LoginFailures("user:ada", 5, T0, locked_until=T0 + timedelta(minutes=15))

    later = count_failure(locked, key="user:ada", now=T0 + timedelta(minutes=1), policy=POLICY)

    assert later.failures == 6 and later.locked_until == locked.locked_until
    assert locked.failures == 5, "the counter given is not changed"


def test_the_first_failure_after_a_lock_ends_starts_a_new_count() -> None:
    ended = LoginFailures("user:ada", 5, T0, locked_until=T0 + timedelta(minutes=15))

    again = count_failure(ended, key="user:ada", now=T0 + timedelta(minutes=15), policy=POLICY)

    assert again.failures == 1 and again.locked_until is None
    assert again.first_failed_at == T0 + timedelta(minutes=15)


def test_lock_ends_is_the_latest_lock_still_in_force() -> None:
    soon = LoginFailures("ip:x", 5, T0, locked_until=T0 + timedelta(minutes=3))
    later = LoginFailures("user:a", 5, T0, locked_until=T0 + timedelta(minutes=9))
    over = LoginFailures("user:b", 5, T0, locked_until=T0 - timedelta(seconds=1))

    assert lock_ends([soon, None, later, over], now=T0) == T0 + timedelta(minutes=9)
    assert lock_ends([over, None], now=T0) is None


def test_keys_are_the_address_and_the_lowercased_username() -> None:
    assert throttle_keys(username=" Ada ", client="10.0.0.1") == ["ip:10.0.0.1", "user:ada"]
    assert throttle_keys(username="", client="10.0.0.1") == ["ip:10.0.0.1"]
    assert throttle_keys(username="a\x00b", client="::1") == ["ip:::1"]
    assert throttle_keys(username="x" * 65, client="::1") == ["ip:::1"]


# --- logging in -----------------------------------------------------------------------------


def test_five_failures_lock_the_user_and_even_the_right_password_is_not_checked(
    uow: FakeUnitOfWork, counting: CountingHasher, clock: FixedClock, ada: str
) -> None:
    results = [attempt(uow, counting, clock, "ada", f"wrong {n}") for n in range(5)]
    checks_before = counting.verify_calls

    refused = attempt(uow, counting, clock, "ada", PASSWORD, client="10.9.9.9")

    assert [r.locked_until is not None for r in results] == [False] * 4 + [True]
    assert refused == LoginAttempt(None, clock.now() + timedelta(minutes=15))
    assert counting.verify_calls == checks_before, "a locked login checked the password"


def test_after_the_lockout_the_right_password_works_and_clears_the_user_count(
    uow: FakeUnitOfWork, counting: CountingHasher, clock: FixedClock, ada: str
) -> None:
    for n in range(5):
        attempt(uow, counting, clock, "ada", f"wrong {n}", client=f"10.0.0.{n}")
    clock.advance(minutes=14, seconds=59)
    assert attempt(uow, counting, clock, "ada", PASSWORD).user is None

    clock.advance(seconds=1)
    result = attempt(uow, counting, clock, "ada", PASSWORD)

    assert result.user is not None and result.user.username == "ada"
    assert counter(uow, "user:ada") is None


def test_success_clears_the_user_count_but_not_the_address_count(
    uow: FakeUnitOfWork, counting: CountingHasher, clock: FixedClock, ada: str
) -> None:
    for n in range(3):
        attempt(uow, counting, clock, "ADA", f"wrong {n}")

    assert attempt(uow, counting, clock, "ada", PASSWORD).user is not None

    assert counter(uow, "user:ada") is None
    address = counter(uow, "ip:10.0.0.1")
    assert address is not None and address.failures == 3


def test_the_address_locks_across_usernames(
    uow: FakeUnitOfWork, counting: CountingHasher, clock: FixedClock, ada: str
) -> None:
    for n in range(5):
        attempt(uow, counting, clock, f"guess{n}", "wrong")

    from_there = attempt(uow, counting, clock, "ada", PASSWORD)
    from_elsewhere = attempt(uow, counting, clock, "ada", PASSWORD, client="10.0.0.2")

    assert from_there.user is None and from_there.locked_until is not None
    assert from_elsewhere.user is not None


def test_empty_or_unknown_usernames_count_like_wrong_passwords(
    uow: FakeUnitOfWork, counting: CountingHasher, clock: FixedClock, ada: str
) -> None:
    attempt(uow, counting, clock, "", "")
    attempt(uow, counting, clock, "ghost", "nope")
    attempt(uow, counting, clock, "ada", "")

    address = counter(uow, "ip:10.0.0.1")
    ghost, user = counter(uow, "user:ghost"), counter(uow, "user:ada")
    assert address is not None and address.failures == 3
    assert ghost is not None and ghost.failures == 1
    assert user is not None and user.failures == 1


def test_failures_and_locks_are_audited_without_the_password(
    uow: FakeUnitOfWork, counting: CountingHasher, clock: FixedClock, ada: str
) -> None:
    for n in range(5):
        attempt(uow, counting, clock, "ada", f"secret-guess-{n}")

    with uow:
        failed = uow.audit.find(object_type="login", object_id="ada")
        locks = uow.audit.find(object_type="login_failures")
    assert len(failed) == 5
    assert failed[0].actor == "anonymous" and failed[0].action == "login_failed"
    assert failed[0].after["failures"] == {"ip:10.0.0.1": 5, "user:ada": 5}
    assert sorted(e.object_id for e in locks) == ["ip:10.0.0.1", "user:ada"]
    assert {e.action for e in locks} == {"login_locked"}
    assert "secret-guess" not in repr([e.after for e in failed + locks])


def test_a_counter_inserted_concurrently_is_counted_on_not_replaced(
    uow: FakeUnitOfWork,
    counting: CountingHasher,
    clock: FixedClock,
    ada: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempt(uow, counting, clock, "ada", "wrong")
    attempt(uow, counting, clock, "ada", "wrong")
    real_get = uow.login_failures.get
    looks: list[str] = []

    def get_missing_at_first(key: str, *, lock: bool = False) -> LoginFailures | None:
        # The first look sees no row, as if another transaction's insert was not yet
        # committed; the insert then conflicts with it.
        looks.append(key)
        return None if looks.count(key) == 1 else real_get(key, lock=lock)

    monkeypatch.setattr(uow.login_failures, "get", get_missing_at_first)
    attempt(uow, counting, clock, "ada", "wrong")
    monkeypatch.undo()

    found = counter(uow, "user:ada")
    assert found is not None and found.failures == 3
    assert uow.savepoint_rollbacks == 2  # one per key whose insert lost the race
