"""API tokens: shown once and kept as a hash, scoped, revocable, used at most a write a minute."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from fenpei.domain.access import ApiToken
from fenpei.domain.errors import NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.users import SYSTEM, Actor, Role, User
from fenpei.services import tokens
from fenpei.services.users import create_user
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import message_for, refused


def a_user(
    uow: FakeUnitOfWork, clock: FixedClock, username: str, role: Role = Role.manager
) -> User:
    return in_transaction(
        uow,
        lambda: create_user(
            uow=uow,
            hasher=FakeHasher(),
            username=username,
            password="long enough password",
            role=role,
            actor=SYSTEM,
            now=clock.now(),
        ),
    )


def as_actor(user: User, scopes: frozenset[str] | None = None) -> Actor:
    return Actor(user.username, user.role, user_id=user.id, scopes=scopes)


def a_token(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    username: str = "intake",
    *,
    scopes: tuple[str, ...] = ("leads:write",),
    actor: Actor = SYSTEM,
    expires_at: object = None,
) -> tuple[ApiToken, str]:
    return in_transaction(
        uow,
        lambda: tokens.create_token(
            uow=uow,
            username=username,
            name="web form",
            scopes=list(scopes),
            actor=actor,
            now=clock.now(),
            expires_at=expires_at,  # type: ignore[arg-type]
        ),
    )


def authenticate(
    uow: FakeUnitOfWork, clock: FixedClock, presented: str
) -> tuple[User, ApiToken] | None:
    with uow:
        return tokens.authenticate_token(uow=uow, presented=presented, now=clock.now())


@pytest.fixture
def intake(uow: FakeUnitOfWork, clock: FixedClock) -> User:
    return a_user(uow, clock, "intake")


def test_token_is_shown_once_and_only_the_hash_of_its_secret_is_stored(
    uow: FakeUnitOfWork, clock: FixedClock, intake: User
) -> None:
    token, plaintext = a_token(uow, clock)

    mark, prefix, secret = plaintext.split("_", 2)
    assert (mark, prefix) == ("fp", token.prefix) and len(secret) >= 40
    stored = uow.dump()["api_tokens"][token.id]  # type: ignore[index]
    assert stored["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(stored) and secret not in str(uow.dump()["audit_log"])
    (entry,) = [e for e in uow.audit.find(object_type="apitoken")]
    assert entry.action == "create" and "secret_hash" not in entry.after
    assert entry.after["scopes"] == ["leads:write"] and entry.actor == "system"


def test_the_plaintext_authenticates_its_user_and_a_changed_secret_does_not(
    uow: FakeUnitOfWork, clock: FixedClock, intake: User
) -> None:
    token, plaintext = a_token(uow, clock)

    found = authenticate(uow, clock, plaintext)

    assert found is not None and found[0].id == intake.id and found[1].id == token.id
    flipped = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    for presented in (flipped, plaintext + "x", "fp_" + token.prefix, "", "Bearer " + plaintext):
        assert authenticate(uow, clock, presented) is None, presented


def test_revoked_expired_or_deactivated_tokens_stop_authenticating(
    uow: FakeUnitOfWork, clock: FixedClock, intake: User
) -> None:
    _, expiring = a_token(uow, clock, expires_at=clock.now() + timedelta(days=1))
    revoked, revoked_plain = a_token(uow, clock)
    assert revoked.id is not None
    in_transaction(
        uow,
        lambda: tokens.revoke_token(uow=uow, token_id=revoked.id, actor=SYSTEM, now=clock.now()),
    )
    _, other = a_token(uow, clock)

    assert authenticate(uow, clock, revoked_plain) is None
    assert authenticate(uow, clock, expiring) is not None
    clock.advance(days=1)  # expires_at is now: no longer usable
    assert authenticate(uow, clock, expiring) is None
    assert authenticate(uow, clock, other) is not None

    def deactivate() -> None:
        user = uow.users.by_username("intake")
        assert user is not None
        user.active = False

    in_transaction(uow, deactivate)
    assert authenticate(uow, clock, other) is None


def test_unknown_scope_is_named_with_its_position_and_nothing_is_stored(
    uow: FakeUnitOfWork, clock: FixedClock, intake: User
) -> None:
    error = refused(
        uow,
        ValidationFailed,
        lambda: tokens.create_token(
            uow=uow,
            username="intake",
            name=" ",
            scopes=["leads:write", "foo", "customers:delete"],
            actor=SYSTEM,
            now=clock.now(),
            expires_at=clock.now(),
        ),
    )

    assert message_for(error, "scopes[1]").startswith("unknown scope 'foo'; known: *, ")
    assert "leads:write" in message_for(error, "scopes[1]")
    assert "customers:delete" in message_for(error, "scopes[2]")
    assert {e.field for e in error.errors} == {"name", "scopes[1]", "scopes[2]", "expires_at"}


def test_scopes_are_kept_once_each_and_at_least_one_is_needed(
    uow: FakeUnitOfWork, clock: FixedClock, intake: User
) -> None:
    token, _ = a_token(uow, clock, scopes=("leads:write", " customers:read", "leads:write"))
    assert token.scopes == ["leads:write", "customers:read"]

    error = refused(
        uow,
        ValidationFailed,
        lambda: tokens.create_token(
            uow=uow, username="intake", name="n", scopes=[], actor=SYSTEM, now=clock.now()
        ),
    )
    assert "at least one scope" in message_for(error, "scopes")


def test_a_token_cannot_make_a_token_with_more_than_its_own_scopes(
    uow: FakeUnitOfWork, clock: FixedClock, intake: User
) -> None:
    by_token = as_actor(intake, frozenset({"tokens:write", "leads:write"}))

    token, _ = a_token(uow, clock, scopes=("leads:write",), actor=by_token)
    error = refused(
        uow,
        ValidationFailed,
        lambda: tokens.create_token(
            uow=uow, username="intake", name="n", scopes=["*"], actor=by_token, now=clock.now()
        ),
    )

    assert token.created_by == "intake"
    assert "beyond the token" in message_for(error, "scopes[0]")


def test_only_an_admin_makes_tokens_for_someone_else(
    uow: FakeUnitOfWork, clock: FixedClock, intake: User
) -> None:
    manager = as_actor(a_user(uow, clock, "mia"))
    admin = as_actor(a_user(uow, clock, "ada", Role.admin))

    refused(
        uow,
        PermissionDenied,
        lambda: tokens.create_token(
            uow=uow, username="intake", name="n", scopes=["*"], actor=manager, now=clock.now()
        ),
    )
    own, _ = a_token(uow, clock, "mia", actor=manager)
    theirs, _ = a_token(uow, clock, "intake", actor=admin)

    assert own.user_id == manager.user_id and theirs.user_id == intake.id
    assert theirs.created_by == "ada"
    refused(
        uow,
        NotFound,
        lambda: tokens.create_token(
            uow=uow, username="nobody", name="n", scopes=["*"], actor=admin, now=clock.now()
        ),
    )


def test_only_an_admin_revokes_or_lists_someone_elses_tokens(
    uow: FakeUnitOfWork, clock: FixedClock, intake: User
) -> None:
    manager = as_actor(a_user(uow, clock, "mia"))
    admin = as_actor(a_user(uow, clock, "ada", Role.admin))
    theirs, _ = a_token(uow, clock, "intake")
    clock.advance(minutes=1)
    mine, _ = a_token(uow, clock, "mia")
    assert theirs.id is not None and mine.id is not None

    refused(
        uow,
        NotFound,
        lambda: tokens.revoke_token(uow=uow, token_id=theirs.id, actor=manager, now=clock.now()),
    )
    with uow:
        assert [o.token.id for o in tokens.list_tokens(uow=uow, actor=manager)] == [mine.id]
        listed = tokens.list_tokens(uow=uow, actor=admin)
        assert [(o.token.id, o.username) for o in listed] == [
            (mine.id, "mia"),
            (theirs.id, "intake"),
        ]
        with pytest.raises(PermissionDenied):
            tokens.list_tokens(uow=uow, actor=manager, username="intake")

    in_transaction(
        uow, lambda: tokens.revoke_token(uow=uow, token_id=mine.id, actor=manager, now=clock.now())
    )
    in_transaction(
        uow, lambda: tokens.revoke_token(uow=uow, token_id=theirs.id, actor=admin, now=clock.now())
    )
    later = clock.advance(hours=1)
    again = in_transaction(
        uow, lambda: tokens.revoke_token(uow=uow, token_id=mine.id, actor=manager, now=later)
    )

    assert again.revoked_at == later - timedelta(hours=1)  # the first revocation stands
    revocations = [e for e in uow.audit.find(object_type="apitoken") if e.action == "revoke"]
    assert sorted(e.actor for e in revocations) == ["ada", "mia"]


def test_last_use_is_written_at_most_once_a_minute(
    uow: FakeUnitOfWork, clock: FixedClock, intake: User
) -> None:
    token, _ = a_token(uow, clock)
    assert token.id is not None and token.last_used_at is None

    def use() -> bool:
        return in_transaction(
            uow, lambda: tokens.record_token_use(uow=uow, token_id=token.id, now=clock.now())
        )

    first = clock.now()
    assert use() is True
    clock.advance(seconds=59)
    assert use() is False
    assert uow.tokens.get(token.id).last_used_at == first  # type: ignore[union-attr]
    clock.advance(seconds=2)
    assert use() is True
    assert uow.tokens.get(token.id).last_used_at == clock.now()  # type: ignore[union-attr]


def test_last_use_is_due_only_after_a_minute(
    uow: FakeUnitOfWork, clock: FixedClock, intake: User
) -> None:
    token, _ = a_token(uow, clock)
    now = clock.now()

    assert tokens.last_use_due(token, now=now)
    token.last_used_at = now - timedelta(seconds=60)
    assert not tokens.last_use_due(token, now=now)
    token.last_used_at = now - timedelta(seconds=61)
    assert tokens.last_use_due(token, now=now)


def test_require_scope_names_the_missing_scope_and_star_grants_all(
    uow: FakeUnitOfWork, clock: FixedClock, intake: User
) -> None:
    narrow, _ = a_token(uow, clock, scopes=("leads:write", "customers:read"))
    star, _ = a_token(uow, clock, scopes=("*",))

    tokens.require_scope(narrow, "customers:read")
    tokens.require_scope(star, "audit:write")
    with pytest.raises(PermissionDenied) as caught:
        tokens.require_scope(narrow, "customers:write")
    assert "'customers:write'" in str(caught.value) and "leads:write" in str(caught.value)
