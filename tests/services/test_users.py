"""Users: creation with a hashed password, and authentication that gives nothing away."""

from __future__ import annotations

import pytest

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.users import SYSTEM, Role, User
from fenpei.services.users import (
    MIN_PASSWORD_LENGTH,
    authenticate,
    create_user,
    one_time_password,
)
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_rep, message_for, refused

PASSWORD = "correct horse battery"


def _create(
    uow: FakeUnitOfWork,
    hasher: FakeHasher,
    clock: FixedClock,
    username: str = "alice",
    password: str = PASSWORD,
    **options: object,
) -> User:
    return create_user(
        uow=uow,
        hasher=hasher,
        username=username,
        password=password,
        role=Role.manager,
        actor=SYSTEM,
        now=clock.now(),
        **options,  # type: ignore[arg-type]
    )


def _login(uow: FakeUnitOfWork, hasher: FakeHasher, username: str, password: str) -> User | None:
    with uow:
        return authenticate(uow=uow, hasher=hasher, username=username, password=password)


def test_create_user_stores_only_a_hash_of_the_password(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    user = in_transaction(
        uow, lambda: _create(uow, hasher, clock, " alice ", display_name="Alice", rep_id=rep.id)
    )
    assert (user.username, user.role, user.rep_id, user.active) == (
        "alice",
        Role.manager,
        rep.id,
        True,
    )
    assert user.password_hash != PASSWORD and hasher.verify(user.password_hash, PASSWORD)
    assert uow.users.by_username("alice") is not None


def test_the_audit_of_a_new_user_leaves_the_password_hash_out(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    user = in_transaction(uow, lambda: _create(uow, hasher, clock))
    [entry] = uow.audit.find(object_type="user")
    assert entry.after["username"] == "alice"
    assert "password_hash" not in entry.after
    assert user.password_hash not in repr(entry.after)


def test_create_user_rejects_short_password(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    short = "x" * (MIN_PASSWORD_LENGTH - 1)
    error = refused(uow, ValidationFailed, lambda: _create(uow, hasher, clock, password=short))
    assert message_for(error, "password") == f"must be at least {MIN_PASSWORD_LENGTH} characters"
    in_transaction(uow, lambda: _create(uow, hasher, clock, password="x" * MIN_PASSWORD_LENGTH))


def test_create_user_rejects_duplicate_username(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    in_transaction(uow, lambda: _create(uow, hasher, clock))
    error = refused(uow, ValidationFailed, lambda: _create(uow, hasher, clock, "alice "))
    assert message_for(error, "username") == "'alice' is taken"


@pytest.mark.parametrize("username", ["", "   ", "a" * 65])
def test_create_user_rejects_an_empty_or_overlong_username(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock, username: str
) -> None:
    error = refused(uow, ValidationFailed, lambda: _create(uow, hasher, clock, username))
    assert message_for(error, "username") == "must be 1 to 64 characters"


def test_create_user_rejects_a_rep_that_does_not_exist(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    error = refused(uow, ValidationFailed, lambda: _create(uow, hasher, clock, rep_id=404))
    assert message_for(error, "rep_id") == "rep 404 does not exist"


def test_authenticate_returns_the_user_for_the_right_password(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    user = in_transaction(uow, lambda: _create(uow, hasher, clock))
    found = _login(uow, hasher, " alice ", PASSWORD)
    assert found is not None and found.id == user.id


def test_authenticate_returns_none_for_wrong_password(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    in_transaction(uow, lambda: _create(uow, hasher, clock))
    assert _login(uow, hasher, "alice", PASSWORD + "!") is None
    assert _login(uow, hasher, "Alice", PASSWORD) is None


def test_authenticate_returns_none_for_an_inactive_user(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    def create_inactive() -> None:
        _create(uow, hasher, clock).active = False

    in_transaction(uow, create_inactive)
    assert _login(uow, hasher, "alice", PASSWORD) is None


def test_authenticate_hashes_even_for_an_unknown_user_so_timing_tells_nothing(
    uow: FakeUnitOfWork, hasher: FakeHasher
) -> None:
    assert _login(uow, hasher, "mallory", PASSWORD) is None
    assert hasher.hash_calls == 1


def test_one_time_passwords_are_long_enough_and_differ() -> None:
    first, second = one_time_password(), one_time_password()
    assert len(first) >= MIN_PASSWORD_LENGTH and first != second
