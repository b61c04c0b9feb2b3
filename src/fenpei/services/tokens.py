"""API tokens (接口令牌): made for a user with scopes, shown once, kept only as a hash.

A token reads ``fp_<prefix>_<secret>``. The prefix is public (it finds the row and names
the token in lists and logs); the secret is 256 random bits, stored as its SHA-256. A
slow password hash is not needed: nobody can guess a 256-bit secret from its hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fenpei.domain.access import ApiToken
from fenpei.domain.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.scopes import KNOWN_SCOPES, grants
from fenpei.domain.users import Actor, User
from fenpei.services import _audit
from fenpei.services.ports import UnitOfWork

TOKEN_MARK = "fp_"
PREFIX_LENGTH = 12  # hex digits: 48 bits, so a collision (retried) is rare
SECRET_BYTES = 32
MAX_PRESENTED_LENGTH = 200
MAX_NAME_LENGTH = 100
# last_used_at is written at most once per token in this time, so a busy integration's
# reads do not each become a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_HEX = frozenset(string.hexdigits.lower())


@dataclass(frozen=True)
class OwnedToken:
    """A token with its user's name, for lists."""

    token: ApiToken
    username: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def is_prefix(text: str) -> bool:
    """Whether ``text`` could be a token prefix (checked before any lookup)."""
    return len(text) == PREFIX_LENGTH and set(text) <= _HEX


def usable(token: ApiToken, *, now: datetime) -> bool:
    """Neither revoked nor expired."""
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


MAX_SCOPES = 50  # more than there are scopes: a longer list can only repeat or be wrong


def clean_scopes(scopes: Sequence[str], *, actor: Actor) -> tuple[list[str], list[FieldError]]:
    """Known scopes, each once, in the order given; a token may grant only what it holds."""
    cleaned: list[str] = []
    errors: list[FieldError] = []
    if not scopes:
        errors.append(FieldError("scopes", "give at least one scope, e.g. leads:write"))
    if len(scopes) > MAX_SCOPES:
        return [], [FieldError("scopes", f"at most {MAX_SCOPES} scopes (got {len(scopes)})")]
    for index, raw in enumerate(scopes):
        scope = raw.strip()
        if scope not in KNOWN_SCOPES:
            known = ", ".join(sorted(KNOWN_SCOPES))
            errors.append(
                FieldError(f"scopes[{index}]", f"unknown scope {scope!r}; known: {known}")
            )
        elif actor.scopes is not None and not grants(actor.scopes, scope):
            errors.append(
                FieldError(f"scopes[{index}]", f"{scope!r} is beyond the token making this request")
            )
        elif scope not in cleaned:
            cleaned.append(scope)
    return cleaned, errors


def create_token(
    *,
    uow: UnitOfWork,
    username: str,
    name: str,
    scopes: Sequence[str],
    actor: Actor,
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for a user and return it with its plaintext, which is never kept."""
    username = username.strip()
    if not actor.is_admin and username != actor.name:
        raise PermissionDenied("only an admin may create tokens for another user")
    user = uow.users.by_username(username)
    if user is None or user.id is None or not (actor.is_admin or user.id == actor.user_id):
        raise NotFound("user", username)
    name = name.strip()
    cleaned, errors = clean_scopes(scopes, actor=actor)
    if not name or len(name) > MAX_NAME_LENGTH or "\x00" in name:
        errors.insert(0, FieldError("name", f"must be 1 to {MAX_NAME_LENGTH} characters"))
    if not user.active:
        errors.insert(0, FieldError("username", f"{username!r} is deactivated"))
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= now):
        errors.append(FieldError("expires_at", "must be a future time with a time zone"))
    if errors:
        raise ValidationFailed(errors)
    prefix = _fresh_prefix(uow)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    token = ApiToken(
        name=name,
        user_id=user.id,
        prefix=prefix,
        secret_hash=hash_secret(secret),
        created_at=now,
        scopes=cleaned,
        created_by=actor.name,
        expires_at=expires_at,
    )
    uow.tokens.add(token)
    _audit.record(uow, actor=actor, action="create", obj=token, now=now)
    return token, f"{TOKEN_MARK}{prefix}_{secret}"


def _fresh_prefix(uow: UnitOfWork) -> str:
    for _ in range(5):
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
        if uow.tokens.by_prefix(prefix) is None:
            return prefix
    raise AssertionError("five random 48-bit prefixes in a row were taken")


def revoke_token(*, uow: UnitOfWork, token_id: int, actor: Actor, now: datetime) -> ApiToken:
    """Stop a token working at once; revoking a revoked token changes nothing."""
    token = uow.tokens.get(token_id)
    # Another user's token is "not found" to a non-admin: its existence is not theirs to know.
    if token is None or not (actor.is_admin or token.user_id == actor.user_id):
        raise NotFound("token", token_id)
    if token.revoked_at is None:
        before = _audit.snapshot(token)
        token.revoked_at = now
        _audit.record(uow, actor=actor, action="revoke", obj=token, now=now, before=before)
    return token


def list_tokens(*, uow: UnitOfWork, actor: Actor, username: str | None = None) -> list[OwnedToken]:
    """Tokens newest first: an admin's view holds everyone's, anyone else's their own."""
    if not actor.is_admin and username not in (None, actor.name):
        raise PermissionDenied("only an admin may list another user's tokens")
    user_id = actor.user_id if not actor.is_admin else None
    if username is not None:
        user = uow.users.by_username(username.strip())
        if user is None or user.id is None:
            raise NotFound("user", username)
        user_id = user.id
    if not actor.is_admin and user_id is None:
        return []  # a non-admin actor that is not a user (none exists today) owns no tokens
    found = uow.tokens.all(user_id=user_id)
    names: dict[int, str] = {}
    for token in found:
        if token.user_id not in names:
            owner = uow.users.get(token.user_id)
            names[token.user_id] = owner.username if owner else "?"
    return [OwnedToken(token, names[token.user_id]) for token in found]


def parse_token(presented: str) -> tuple[str, str] | None:
    """``fp_<prefix>_<secret>`` split in two, or None if it cannot be a token."""
    if len(presented) > MAX_PRESENTED_LENGTH or not presented.startswith(TOKEN_MARK):
        return None
    prefix, _, secret = presented.removeprefix(TOKEN_MARK).partition("_")
    if not is_prefix(prefix) or not secret or not secret.isascii():
        return None
    return prefix, secret


def authenticate_token(
    *, uow: UnitOfWork, presented: str, now: datetime
) -> tuple[User, ApiToken] | None:
    """The active user and usable token ``presented`` names, or None; nothing is written."""
    parsed = parse_token(presented)
    if parsed is None:
        return None
    prefix, secret = parsed
    token = uow.tokens.by_prefix(prefix)
    if token is None:
        return None
    if not hmac.compare_digest(hash_secret(secret).encode(), token.secret_hash.encode()):
        return None
    return owner_if_usable(uow=uow, token=token, now=now)


def owner_if_usable(
    *, uow: UnitOfWork, token: ApiToken, now: datetime
) -> tuple[User, ApiToken] | None:
    """The token's user with the token, if the token is usable and the user active."""
    if not usable(token, now=now):
        return None
    user = uow.users.get(token.user_id)
    if user is None or not user.active:
        return None
    return user, token


def require_scope(token: ApiToken, needed: str) -> None:
    """PermissionDenied naming ``needed`` unless the token holds it."""
    if not grants(token.scopes, needed):
        held = ", ".join(token.scopes) or "none"
        raise PermissionDenied(f"this API token lacks the scope {needed!r} (it has: {held})")


def last_use_due(token: ApiToken, *, now: datetime) -> bool:
    """Whether ``last_used_at`` is older than ``LAST_USED_RESOLUTION`` (or unset)."""
    return token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION


def record_token_use(*, uow: UnitOfWork, token_id: int, now: datetime) -> bool:
    """Set the token's last use to ``now`` unless it was set within the last minute."""
    return uow.tokens.touch(token_id, at=now, unless_used_since=now - LAST_USED_RESOLUTION)
