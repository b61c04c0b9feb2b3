"""Users: creation with a hashed password, and authentication that gives nothing away."""

from __future__ import annotations

import pytest

from fenpei.domain.errors import NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.limits import SURROGATE_MESSAGE
from fenpei.domain.users import SYSTEM, Actor, Role, User
from fenpei.services import users
from fenpei.services.users import (
    MIN_PASSWORD_LENGTH,
    authenticate,
    create_user,
    one_time_password,
)
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_rep, bad_fields, message_for, refused

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


# --- changing, resetting, deactivating: each ends the user's sessions -------------------------

NEW_PASSWORD = "a brand new passphrase"


def _actor(user: User) -> Actor:
    return Actor(user.username, user.role, user_id=user.id)


def _one_time_user(uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock) -> User:
    return in_transaction(uow, lambda: _create(uow, hasher, clock, must_change_password=True))


def _change(
    uow: FakeUnitOfWork,
    hasher: FakeHasher,
    clock: FixedClock,
    user: User,
    current: str = PASSWORD,
    new: str = NEW_PASSWORD,
) -> User:
    return users.change_own_password(
        uow=uow,
        hasher=hasher,
        actor=_actor(user),
        current_password=current,
        new_password=new,
        now=clock.now(),
    )


def _stored(uow: FakeUnitOfWork, user: User) -> User:
    assert user.id is not None
    with uow:
        stored = uow.users.get(user.id)
    assert stored is not None
    return stored


def test_changing_a_one_time_password_clears_the_flag_and_ends_the_sessions(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    user = _one_time_user(uow, hasher, clock)

    changed = in_transaction(uow, lambda: _change(uow, hasher, clock, user))

    stored = _stored(uow, user)
    assert not stored.must_change_password and stored.session_version == 1
    assert changed.session_version == 1  # what the caller signs its new cookie with
    assert _login(uow, hasher, "alice", NEW_PASSWORD) is not None
    assert _login(uow, hasher, "alice", PASSWORD) is None


def test_a_password_change_is_audited_without_any_password(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    user = _one_time_user(uow, hasher, clock)
    in_transaction(uow, lambda: _change(uow, hasher, clock, user))

    [entry] = [e for e in uow.audit.find(object_type="user") if e.action == "change_password"]
    assert entry.actor == "alice"
    assert entry.before == {"must_change_password": True, "session_version": 0}
    assert entry.after == {"must_change_password": False, "session_version": 1}
    assert NEW_PASSWORD not in repr(entry) and PASSWORD not in repr(entry)


def test_a_wrong_current_password_changes_nothing_and_names_the_field(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    user = _one_time_user(uow, hasher, clock)

    error = refused(
        uow, ValidationFailed, lambda: _change(uow, hasher, clock, user, current="guess" * 3)
    )

    assert message_for(error, "current_password") == users.NOT_CURRENT


@pytest.mark.parametrize(
    ("new", "problem"),
    [
        ("x" * (MIN_PASSWORD_LENGTH - 1), users.TOO_SHORT),
        ("x" * (users.MAX_PASSWORD_LENGTH + 1), users.TOO_LONG),
        (PASSWORD, users.SAME_AS_CURRENT),
        (
            "long enough \ud800 but",
            SURROGATE_MESSAGE,
        ),
    ],
)
def test_a_new_password_that_cannot_be_used_is_refused_saying_why(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock, new: str, problem: str
) -> None:
    user = _one_time_user(uow, hasher, clock)

    error = refused(uow, ValidationFailed, lambda: _change(uow, hasher, clock, user, new=new))

    assert message_for(error, "new_password") == problem
    assert "current_password" not in bad_fields(error)


@pytest.mark.parametrize("current", ["\x00" * 12, "\udfff" * 12, "x" * 5000])
def test_a_current_password_no_one_could_have_is_wrong_without_being_hashed(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock, current: str
) -> None:
    user = _one_time_user(uow, hasher, clock)

    error = refused(
        uow, ValidationFailed, lambda: _change(uow, hasher, clock, user, current=current)
    )

    assert message_for(error, "current_password") == users.NOT_CURRENT


def test_only_an_active_user_changes_their_own_password(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    user = _one_time_user(uow, hasher, clock)
    in_transaction(
        uow, lambda: users.deactivate_user(uow=uow, username="alice", actor=SYSTEM, now=clock.now())
    )

    refused(uow, NotFound, lambda: _change(uow, hasher, clock, user))
    refused(uow, NotFound, lambda: _change(uow, hasher, clock, User("x", "h", Role.rep, id=99)))


def test_a_reset_sets_a_one_time_password_and_ends_the_sessions(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    user = in_transaction(uow, lambda: _create(uow, hasher, clock))

    in_transaction(
        uow,
        lambda: users.reset_password(
            uow=uow,
            hasher=hasher,
            username="alice",
            password="one time pass",
            actor=SYSTEM,
            now=clock.now(),
        ),
    )

    stored = _stored(uow, user)
    assert stored.must_change_password and stored.session_version == 1
    [entry] = [e for e in uow.audit.find(object_type="user") if e.action == "reset_password"]
    assert entry.after == {"must_change_password": True, "session_version": 1}


def test_deactivating_a_user_ends_their_sessions_once_and_is_audited(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    user = in_transaction(uow, lambda: _create(uow, hasher, clock))

    def deactivate() -> User:
        return users.deactivate_user(uow=uow, username=" alice", actor=SYSTEM, now=clock.now())

    in_transaction(uow, deactivate)
    in_transaction(uow, deactivate)  # already inactive: nothing more happens

    stored = _stored(uow, user)
    assert not stored.active and stored.session_version == 1
    [entry] = [e for e in uow.audit.find(object_type="user") if e.action == "deactivate"]
    assert (entry.actor, entry.before, entry.after) == (
        "system",
        {"active": True, "session_version": 0},
        {"active": False, "session_version": 1},
    )
    assert _login(uow, hasher, "alice", PASSWORD) is None


@pytest.mark.parametrize("role", [Role.manager, Role.rep, Role.auditor])
def test_only_an_admin_deactivates_users(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock, role: Role
) -> None:
    in_transaction(uow, lambda: _create(uow, hasher, clock))
    someone = Actor("mia", role, user_id=42)

    refused(
        uow,
        PermissionDenied,
        lambda: users.deactivate_user(uow=uow, username="alice", actor=someone, now=clock.now()),
    )
    refused(
        uow,
        NotFound,
        lambda: users.deactivate_user(uow=uow, username="nobody", actor=SYSTEM, now=clock.now()),
    )


def test_logging_out_ends_every_session_of_the_user_and_is_audited(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    user = in_transaction(uow, lambda: _create(uow, hasher, clock))

    def log_out() -> None:
        stored = uow.users.get(user.id or 0)
        assert stored is not None
        users.log_out(uow=uow, user=stored, actor=_actor(stored), now=clock.now())

    in_transaction(uow, log_out)
    in_transaction(uow, log_out)

    assert _stored(uow, user).session_version == 2
    logouts = [e for e in uow.audit.find(object_type="user") if e.action == "logout"]
    assert [e.after for e in logouts] == [{"session_version": 2}, {"session_version": 1}]
