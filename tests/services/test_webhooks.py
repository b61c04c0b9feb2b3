"""Signed webhook requests: accepted only with the token's derived secret, fresh and intact."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fenpei.domain.access import ApiToken
from fenpei.domain.errors import CredentialsRefused
from fenpei.domain.users import SYSTEM
from fenpei.services import tokens, webhooks
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services.test_tokens import a_token, a_user

SECRET_KEY = "server secret key of thirty-two chars"
BODY = b'{"name": "Wang Fang"}'


@pytest.fixture
def token(uow: FakeUnitOfWork, clock: FixedClock) -> ApiToken:
    a_user(uow, clock, "intake")
    return a_token(uow, clock)[0]


def signed(token: ApiToken, clock: FixedClock, body: bytes = BODY) -> dict[str, str]:
    secret = webhooks.webhook_secret(secret_key=SECRET_KEY, prefix=token.prefix)
    timestamp = str(int(clock.now().timestamp()))
    return {
        "token_id": token.prefix,
        "timestamp": timestamp,
        "signature_header": webhooks.signature(secret=secret, timestamp=timestamp, body=body),
    }


def verify(
    uow: FakeUnitOfWork, clock: FixedClock, headers: dict[str, str], body: bytes = BODY
) -> ApiToken:
    with uow:
        return webhooks.verify_signed_request(
            uow=uow,
            secret_key=SECRET_KEY,
            body=body,
            now=clock.now(),
            token_id=headers.get("token_id"),
            timestamp=headers.get("timestamp"),
            signature_header=headers.get("signature_header"),
        )[1]


def refusal(uow: FakeUnitOfWork, clock: FixedClock, headers: dict[str, str], body: bytes) -> str:
    with pytest.raises(CredentialsRefused) as caught:
        verify(uow, clock, headers, body)
    return str(caught.value)


def test_a_correctly_signed_request_names_its_token(
    uow: FakeUnitOfWork, clock: FixedClock, token: ApiToken
) -> None:
    assert verify(uow, clock, signed(token, clock)).id == token.id


def test_the_secret_is_derived_per_token_and_per_server_key(token: ApiToken) -> None:
    secret = webhooks.webhook_secret(secret_key=SECRET_KEY, prefix=token.prefix)

    assert secret != webhooks.webhook_secret(secret_key=SECRET_KEY, prefix="0" * 12)
    assert secret != webhooks.webhook_secret(secret_key=SECRET_KEY + "x", prefix=token.prefix)
    assert len(secret) == 64 and token.secret_hash != tokens.hash_secret(secret)


@pytest.mark.parametrize(
    ("change", "header"),
    [
        ({"signature_header": "sha256=" + "0" * 64}, "X-Fenpei-Signature: does not match"),
        ({"signature_header": ""}, "missing header(s): X-Fenpei-Signature"),
        ({"timestamp": "soon"}, "X-Fenpei-Timestamp: must be whole seconds"),
        ({"token_id": "0123456789ab"}, "X-Fenpei-Token-Id: unknown"),
        ({"token_id": "not a prefix"}, "X-Fenpei-Token-Id: unknown"),
    ],
)
def test_a_wrong_header_is_refused_naming_it(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    token: ApiToken,
    change: dict[str, str],
    header: str,
) -> None:
    message = refusal(uow, clock, {**signed(token, clock), **change}, BODY)
    assert message.startswith(header), message


def test_a_tampered_body_is_refused(
    uow: FakeUnitOfWork, clock: FixedClock, token: ApiToken
) -> None:
    message = refusal(uow, clock, signed(token, clock), BODY.replace(b"Wang", b"Wong"))
    assert message.startswith("X-Fenpei-Signature: does not match")


@pytest.mark.parametrize(
    "offset", [timedelta(minutes=-5, seconds=-1), timedelta(minutes=5, seconds=1)]
)
def test_a_timestamp_over_five_minutes_off_is_refused_even_when_signed(
    uow: FakeUnitOfWork, clock: FixedClock, token: ApiToken, offset: timedelta
) -> None:
    headers = signed(token, clock)
    clock.advance(offset)  # the server's clock, relative to the signer's
    message = refusal(uow, clock, headers, BODY)
    assert message.startswith("X-Fenpei-Timestamp: 301 s away"), message


def test_a_timestamp_five_minutes_off_is_still_accepted(
    uow: FakeUnitOfWork, clock: FixedClock, token: ApiToken
) -> None:
    headers = signed(token, clock)
    clock.advance(minutes=5)
    assert verify(uow, clock, headers).id == token.id


def test_a_revoked_token_cannot_sign(
    uow: FakeUnitOfWork, clock: FixedClock, token: ApiToken
) -> None:
    assert token.id is not None
    in_transaction(
        uow, lambda: tokens.revoke_token(uow=uow, token_id=token.id, actor=SYSTEM, now=clock.now())
    )
    message = refusal(uow, clock, signed(token, clock), BODY)
    assert message.startswith("X-Fenpei-Token-Id: unknown, revoked or expired")


def test_every_missing_header_is_named(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    message = refusal(uow, clock, {}, BODY)
    assert message == (
        "missing header(s): X-Fenpei-Token-Id, X-Fenpei-Timestamp, X-Fenpei-Signature"
    )


# --- each signed request is processed once ---------------------------------------------------


def accepted(uow: FakeUnitOfWork, clock: FixedClock, headers: dict[str, str]) -> ApiToken:
    """Verify and commit, as the intake does once the lead is stored."""
    return in_transaction(
        uow,
        lambda: webhooks.verify_signed_request(
            uow=uow,
            secret_key=SECRET_KEY,
            body=BODY,
            now=clock.now(),
            token_id=headers["token_id"],
            timestamp=headers["timestamp"],
            signature_header=headers["signature_header"],
        )[1],
    )


def receipts(uow: FakeUnitOfWork) -> list[dict[str, Any]]:
    return list(uow.dump()["webhook_receipts"].values())


def test_the_same_signed_request_again_is_refused_as_a_replay(
    uow: FakeUnitOfWork, clock: FixedClock, token: ApiToken
) -> None:
    headers = signed(token, clock)
    accepted(uow, clock, headers)
    clock.advance(minutes=4)

    with pytest.raises(webhooks.WebhookReplayed) as caught:
        verify(uow, clock, headers)

    assert caught.value.code == "webhook_replayed"
    assert "sign it again with a new X-Fenpei-Timestamp" in str(caught.value)


def test_the_receipt_keeps_a_hash_until_the_window_ends_and_no_body(
    uow: FakeUnitOfWork, clock: FixedClock, token: ApiToken
) -> None:
    headers = signed(token, clock)
    accepted(uow, clock, headers)

    [receipt] = receipts(uow)
    assert receipt["expires_at"] == clock.now() + webhooks.MAX_CLOCK_SKEW
    assert len(receipt["digest"]) == 64 and headers["signature_header"][7:] != receipt["digest"]


def test_a_request_that_was_not_committed_can_be_sent_again(
    uow: FakeUnitOfWork, clock: FixedClock, token: ApiToken
) -> None:
    headers = signed(token, clock)
    verify(uow, clock, headers)  # e.g. the lead was invalid: nothing committed

    assert accepted(uow, clock, headers).id == token.id
    assert len(receipts(uow)) == 1


def test_signing_again_with_a_new_timestamp_is_a_new_request(
    uow: FakeUnitOfWork, clock: FixedClock, token: ApiToken
) -> None:
    accepted(uow, clock, signed(token, clock))
    clock.advance(seconds=1)

    assert accepted(uow, clock, signed(token, clock)).id == token.id
    assert len(receipts(uow)) == 2


def test_receipts_whose_window_ended_are_purged_a_few_at_a_time(
    uow: FakeUnitOfWork, clock: FixedClock, token: ApiToken
) -> None:
    old = webhooks.PURGE_BATCH + 5
    for _ in range(old):
        accepted(uow, clock, signed(token, clock))
        clock.advance(seconds=1)
    clock.advance(webhooks.MAX_CLOCK_SKEW)  # every one of those windows has ended

    accepted(uow, clock, signed(token, clock))
    assert len(receipts(uow)) == old - webhooks.PURGE_BATCH + 1
    clock.advance(seconds=1)
    accepted(uow, clock, signed(token, clock))
    assert len(receipts(uow)) == 2  # the rest of the old ones went, the two new ones stay
