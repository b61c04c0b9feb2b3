"""Logging in with a limit on guesses: failed logins are counted per username and per client
address; too many within a window lock that key for a while.

Every login path (the web form now, any other later) goes through ``log_in`` so they share
the counters. A locked key refuses even the right password, and the password is not even
checked then: no argon2 cost for an attacker, and no timing difference to learn from.

The counters' rows are locked before the password is checked, so once a key has a counter,
concurrent attempts on it queue up and a burst cannot guess past the limit; a counter that
does not exist yet is inserted, and an insert that loses the race counts on the winner's row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fenpei.domain.access import LoginFailures
from fenpei.domain.audit import AuditEntry
from fenpei.domain.errors import Conflict
from fenpei.domain.users import User
from fenpei.services import users
from fenpei.services._audit import json_safe
from fenpei.services.ports import PasswordHasher, UnitOfWork

USER_KEY, IP_KEY = "user:", "ip:"
_MAX_USERNAME, _MAX_CLIENT = 64, 100  # keys fit login_failures.key, String(200)
ANONYMOUS = "anonymous"  # the audit actor of a login attempt: nobody is logged in yet


@dataclass(frozen=True)
class LoginPolicy:
    """``max_failures`` within ``window`` lock a key for ``lockout``."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginAttempt:
    """What came of a login: the user, or None; ``locked_until`` when a key is locked."""

    user: User | None
    locked_until: datetime | None = None


def throttle_keys(*, username: str, client: str) -> list[str]:
    """The counters an attempt is held against, in the order their rows are locked.

    The username is compared case-insensitively, so ``Admin`` and ``admin`` share one."""
    name = username.strip().lower()
    keys = [IP_KEY + _storable(client)[:_MAX_CLIENT]]
    # No user has a NUL in the name, and PostgreSQL text cannot hold one.
    if 0 < len(name) <= _MAX_USERNAME and "\x00" not in name:
        keys.append(USER_KEY + name)
    return sorted(keys)


def _storable(text: str) -> str:
    return text.replace("\x00", "\ufffd")


def lock_ends(counters: Iterable[LoginFailures | None], *, now: datetime) -> datetime | None:
    """When the last lock in force among ``counters`` ends, or None if none is locked."""
    ends = [c.locked_until for c in counters if c and c.locked_until and c.locked_until > now]
    return max(ends, default=None)


def count_failure(
    counter: LoginFailures | None, *, key: str, now: datetime, policy: LoginPolicy
) -> LoginFailures:
    """The counter after one more failure at ``now`` (a new object; ``counter`` is unchanged).

    A window that is over, or a lock that has ended, starts the count again; a failure
    while locked (one that raced the locking one) is counted but does not extend the lock."""
    if counter is None or _expired(counter, now=now, policy=policy):
        counter = LoginFailures(key=key, failures=0, first_failed_at=now)
    failures = counter.failures + 1
    locked_until = counter.locked_until
    if locked_until is None and failures >= policy.max_failures:
        locked_until = now + policy.lockout
    return replace(counter, failures=failures, locked_until=locked_until)


def _expired(counter: LoginFailures, *, now: datetime, policy: LoginPolicy) -> bool:
    if counter.locked_until is not None:
        return counter.locked_until <= now
    return now >= counter.first_failed_at + policy.window


def log_in(
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    username: str,
    password: str,
    client: str,
    now: datetime,
    policy: LoginPolicy,
) -> LoginAttempt:
    """Check a username and password unless too many failures locked them out; count a failure
    under the username and the client address, clear the username's count on success."""
    keys = throttle_keys(username=username, client=client)
    uow.login_failures.serialize(keys)
    held = {key: uow.login_failures.get(key, lock=True) for key in keys}
    locked_until = lock_ends(held.values(), now=now)
    if locked_until is not None:
        return LoginAttempt(None, locked_until)
    user = (
        users.authenticate(uow=uow, hasher=hasher, username=username, password=password)
        if username.strip() and password
        else None
    )
    if user is not None:
        user_key = USER_KEY + username.strip().lower()
        if held.get(user_key) is not None:
            uow.login_failures.delete(user_key)
        return LoginAttempt(user)
    counted = [_record_failure(uow, held[key], key=key, now=now, policy=policy) for key in keys]
    _audit_failure(uow, username=username, client=client, counted=counted, now=now)
    return LoginAttempt(None, lock_ends((counter for counter, _ in counted), now=now))


def _record_failure(
    uow: UnitOfWork, held: LoginFailures | None, *, key: str, now: datetime, policy: LoginPolicy
) -> tuple[LoginFailures, bool]:
    """The counter after this failure, and whether this failure locked it."""
    if held is None:
        fresh = count_failure(None, key=key, now=now, policy=policy)
        savepoint = uow.savepoint()
        try:
            uow.login_failures.add(fresh)
            savepoint.release()
            return fresh, fresh.locked_until is not None
        except Conflict:
            # A concurrent failure inserted this key after we looked: count on its row,
            # locked now (on PostgreSQL the insert waited for that transaction to end).
            savepoint.rollback()
            held = uow.login_failures.get(key, lock=True)
            assert held is not None, f"{key!r} conflicted on insert but is not there"
    after = count_failure(held, key=key, now=now, policy=policy)
    locked_now = after.locked_until is not None and after.locked_until != held.locked_until
    held.failures, held.first_failed_at = after.failures, after.first_failed_at
    held.locked_until = after.locked_until
    return held, locked_now


def _audit_failure(
    uow: UnitOfWork,
    *,
    username: str,
    client: str,
    counted: list[tuple[LoginFailures, bool]],
    now: datetime,
) -> None:
    """One entry for the failed attempt, one per key it locked; never the password."""
    name = _storable(username.strip()[:_MAX_USERNAME])
    uow.audit.add(
        AuditEntry(
            actor=ANONYMOUS,
            action="login_failed",
            object_type="login",
            object_id=name,
            at=now,
            after={
                "username": name,
                "client": _storable(client)[:_MAX_CLIENT],
                "failures": {counter.key: counter.failures for counter, _ in counted},
            },
        )
    )
    for counter, locked_now in counted:
        if locked_now:
            uow.audit.add(
                AuditEntry(
                    actor=ANONYMOUS,
                    action="login_locked",
                    object_type="login_failures",
                    object_id=counter.key,
                    at=now,
                    after={
                        "failures": counter.failures,
                        "locked_until": json_safe(counter.locked_until),
                    },
                )
            )
