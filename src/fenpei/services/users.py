"""Users who log in: creation with a hashed password, and authentication."""

from __future__ import annotations

import secrets
from datetime import datetime

from fenpei.domain.errors import NotFound, ValidationFailed
from fenpei.domain.users import Actor, Role, User
from fenpei.services import _audit
from fenpei.services.ports import PasswordHasher, UnitOfWork

MIN_PASSWORD_LENGTH = 10


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    username: str,
    password: str,
    role: Role,
    actor: Actor,
    now: datetime,
    display_name: str | None = None,
    rep_id: int | None = None,
    must_change_password: bool = False,
) -> User:
    """Add a user; the password is stored only as an argon2 hash."""
    username = username.strip()
    if not username or len(username) > 64:
        raise ValidationFailed.one("username", "must be 1 to 64 characters")
    if uow.users.by_username(username) is not None:
        raise ValidationFailed.one("username", f"{username!r} is taken")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.one("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if rep_id is not None and uow.reps.get(rep_id) is None:
        raise ValidationFailed.one("rep_id", f"rep {rep_id} does not exist")
    user = User(
        username=username,
        password_hash=hasher.hash(password),
        role=role,
        display_name=display_name,
        rep_id=rep_id,
        created_at=now,
        must_change_password=must_change_password,
    )
    uow.users.add(user)
    _audit.record(uow, actor=actor, action="create", obj=user, now=now)
    return user


def authenticate(
    *, uow: UnitOfWork, hasher: PasswordHasher, username: str, password: str
) -> User | None:
    """The active user with these credentials, or None (without saying which part was wrong)."""
    if "\x00" in username or len(username) > 64 or len(password) > 1024:
        return None
    user = uow.users.by_username(username.strip())
    if user is None or not user.active:
        hasher.hash(password)  # same cost either way: no user enumeration by timing
        return None
    return user if hasher.verify(user.password_hash, password) else None


def reset_password(
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    username: str,
    password: str,
    actor: Actor,
    now: datetime,
) -> User:
    """Give a user a new password, to be changed at next login; the old one stops working."""
    user = uow.users.by_username(username.strip())
    if user is None:
        raise NotFound("user", username)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.one("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    before = _audit.snapshot(user)
    user.password_hash = hasher.hash(password)
    user.must_change_password = True
    _audit.record(uow, actor=actor, action="reset_password", obj=user, now=now, before=before)
    return user
