"""Users who log in: creation with a hashed password, authentication, password changes and
resets, deactivation, and ending a user's sessions.

Every change that should end the sessions a user already has (logout, a new password,
deactivation) raises the user's session version; the cookies signed with the old one are
then refused (see ``http.sessions``)."""

from __future__ import annotations

import secrets
from datetime import datetime

from fenpei.domain.errors import FieldError, NotFound, ValidationFailed
from fenpei.domain.limits import text_problem
from fenpei.domain.users import Actor, Role, User
from fenpei.services import _audit, scope
from fenpei.services.ports import PasswordHasher, UnitOfWork

MIN_PASSWORD_LENGTH = 10
# Longer input cannot be a login (the login form refuses it before argon2 sees it).
MAX_PASSWORD_LENGTH = 1024
# What is wrong with a password, as the services say it; pages map these to their words.
TOO_SHORT = f"must be at least {MIN_PASSWORD_LENGTH} characters"
TOO_LONG = f"must be at most {MAX_PASSWORD_LENGTH} characters"
NOT_CURRENT = "is not your current password"
SAME_AS_CURRENT = "must differ from your current password"


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be a user's password, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_PASSWORD_LENGTH:
        return TOO_LONG
    return text_problem(password)  # argon2 hashes UTF-8: a lone surrogate cannot be encoded


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
    scope.require_admin(actor, "create users")
    username = username.strip()
    errors: list[FieldError] = []
    if not username or len(username) > 64:
        errors.append(FieldError("username", "must be 1 to 64 characters"))
    elif uow.users.by_username(username) is not None:
        errors.append(FieldError("username", f"{username!r} is taken"))
    if problem := password_problem(password):
        errors.append(FieldError("password", problem))
    if rep_id is not None and uow.reps.get(rep_id) is None:
        errors.append(FieldError("rep_id", f"rep {rep_id} does not exist"))
    if errors:
        raise ValidationFailed(errors)
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


def list_users(*, uow: UnitOfWork, actor: Actor) -> list[User]:
    """Every user, active or not, by username; for admins."""
    scope.require_admin(actor, "list users")
    return uow.users.all()


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
    """Give a user a new password, to be changed at next login; the old one stops working
    and so do the user's sessions."""
    scope.require_admin(actor, "reset passwords")
    user = uow.users.by_username(username.strip())
    if user is None:
        raise NotFound("user", username)
    if problem := password_problem(password):
        raise ValidationFailed.one("password", problem)
    before = _audit.snapshot(user)
    user.password_hash = hasher.hash(password)
    user.must_change_password = True
    uow.users.bump_session_version(user)
    _audit.record(uow, actor=actor, action="reset_password", obj=user, now=now, before=before)
    return user


def change_own_password(
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    actor: Actor,
    current_password: str,
    new_password: str,
    now: datetime,
) -> User:
    """Replace the actor's password, given the current one: a one-time password is then
    changed, and every session the actor had ends (the caller issues them a new one)."""
    user = uow.users.get(actor.user_id) if actor.user_id is not None else None
    if user is None or not user.active:
        raise NotFound("user", actor.name)
    errors: list[FieldError] = []
    # Input no password can be is not hashed: argon2 would spend on megabytes, or fail on
    # text it cannot encode as UTF-8.
    could_be = len(current_password) <= MAX_PASSWORD_LENGTH and not text_problem(current_password)
    if not (could_be and hasher.verify(user.password_hash, current_password)):
        errors.append(FieldError("current_password", NOT_CURRENT))
    if problem := password_problem(new_password):
        errors.append(FieldError("new_password", problem))
    elif new_password == current_password:
        errors.append(FieldError("new_password", SAME_AS_CURRENT))
    if errors:
        raise ValidationFailed(errors)
    before = _audit.snapshot(user)
    user.password_hash = hasher.hash(new_password)
    user.must_change_password = False
    uow.users.bump_session_version(user)
    _audit.record(uow, actor=actor, action="change_password", obj=user, now=now, before=before)
    return user


def deactivate_user(*, uow: UnitOfWork, username: str, actor: Actor, now: datetime) -> User:
    """Stop a user from logging in: their sessions end now and their API tokens stop working
    (tokens of an inactive user are refused). An inactive user is left as is."""
    scope.require_admin(actor, "deactivate users")
    user = uow.users.by_username(username.strip())
    if user is None:
        raise NotFound("user", username)
    if not user.active:
        return user
    before = _audit.snapshot(user)
    user.active = False
    uow.users.bump_session_version(user)
    _audit.record(uow, actor=actor, action="deactivate", obj=user, now=now, before=before)
    return user


def log_out(*, uow: UnitOfWork, user: User, actor: Actor, now: datetime) -> None:
    """End every session of ``user``, on every device (the version is per user, not per
    session), recording who did it."""
    before = _audit.snapshot(user)
    uow.users.bump_session_version(user)
    _audit.record(uow, actor=actor, action="logout", obj=user, now=now, before=before)
