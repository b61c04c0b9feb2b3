"""Session cookies: what is signed comes back; anything tampered, expired or odd does not."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from fenpei.http import sessions
from fenpei.http.sessions import (
    SESSION_LIFETIME,
    Session,
    read_session,
    sign_session,
    start_session,
)

SECRET = "a-test-secret-that-is-long-enough-0123456789"
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _signed(payload: object, secret: str = SECRET) -> str:
    """A correctly signed token around an arbitrary payload (what a key holder could make)."""
    raw = json.dumps(payload).encode()
    body = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return f"{body}.{sessions._signature(body, secret)}"


def _token(username: str = "admin", user_id: int = 7) -> str:
    return sign_session(start_session(user_id=user_id, username=username, now=NOW), secret=SECRET)


def test_signed_session_reads_back_with_user_and_expiry() -> None:
    session = read_session(_token(), secret=SECRET, now=NOW)

    assert session == Session(user_id=7, username="admin", expires_at=NOW + SESSION_LIFETIME)


def test_non_ascii_username_round_trips_and_token_is_cookie_safe() -> None:
    token = _token(username="王小明")

    assert re.fullmatch(r"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+", token)
    session = read_session(token, secret=SECRET, now=NOW)
    assert session is not None and session.username == "王小明"


def test_session_is_valid_until_just_before_expiry_and_not_at_it() -> None:
    token = _token()
    expires = NOW + SESSION_LIFETIME

    assert read_session(token, secret=SECRET, now=expires - timedelta(seconds=1)) is not None
    assert read_session(token, secret=SECRET, now=expires) is None
    assert read_session(token, secret=SECRET, now=expires + timedelta(days=30)) is None


def test_token_signed_with_another_secret_is_rejected() -> None:
    assert read_session(_token(), secret=SECRET + "x", now=NOW) is None


def test_changed_payload_is_rejected() -> None:
    signature = _token(user_id=7).split(".")[1]
    forged_body = _token(user_id=1).split(".")[0]

    assert read_session(f"{forged_body}.{signature}", secret=SECRET, now=NOW) is None


@pytest.mark.parametrize("position", [0, 10, -1])
def test_flipped_signature_character_is_rejected(position: int) -> None:
    body, signature = _token().split(".")
    chars = list(signature)
    chars[position] = "A" if chars[position] != "A" else "B"

    assert read_session(f"{body}.{''.join(chars)}", secret=SECRET, now=NOW) is None


@pytest.mark.parametrize(
    "token",
    [
        "",
        "no-dot-at-all",
        "a.b.c",
        ".",
        "abc.",
        ".abc",
        "é.é",
        "\x00.\x00",
        "x" * 5000 + "." + "y",
    ],
)
def test_malformed_tokens_are_rejected(token: str) -> None:
    assert read_session(token, secret=SECRET, now=NOW) is None


@pytest.mark.parametrize(
    "payload",
    [
        ["not", "an", "object"],
        "a string",
        {"uid": "7", "usr": "admin", "ver": 0, "exp": 1893456000},
        {"uid": True, "usr": "admin", "ver": 0, "exp": 1893456000},
        {"uid": 7, "usr": None, "ver": 0, "exp": 1893456000},
        {"uid": 7, "usr": "admin", "ver": 0, "exp": "tomorrow"},
        {"uid": 7, "usr": "admin", "ver": 0, "exp": 1.5e9},
        {"uid": 7, "usr": "admin", "ver": 0, "exp": 10**30},
        {"uid": 7, "usr": "admin", "ver": 0},
    ],
)
def test_signed_but_ill_formed_payloads_are_rejected(payload: object) -> None:
    assert read_session(_signed(payload), secret=SECRET, now=NOW) is None


def test_signed_payload_that_is_not_json_is_rejected() -> None:
    body = base64.urlsafe_b64encode(b"\xff\xfe not json").rstrip(b"=").decode()
    token = f"{body}.{sessions._signature(body, SECRET)}"

    assert read_session(token, secret=SECRET, now=NOW) is None


def test_the_session_version_is_signed_in_and_read_back() -> None:
    session = start_session(user_id=7, username="admin", now=NOW, version=41)

    read = read_session(sign_session(session, secret=SECRET), secret=SECRET, now=NOW)

    assert read is not None and read.version == 41


def test_a_changed_version_breaks_the_signature() -> None:
    old = sign_session(
        start_session(user_id=7, username="admin", now=NOW, version=3), secret=SECRET
    )
    new = sign_session(
        start_session(user_id=7, username="admin", now=NOW, version=4), secret=SECRET
    )

    assert read_session(f"{new.split('.')[0]}.{old.split('.')[1]}", secret=SECRET, now=NOW) is None


@pytest.mark.parametrize("version", [None, "1", 1.0, True, [1]])
def test_a_cookie_without_a_whole_number_version_is_rejected(version: object) -> None:
    """Cookies signed before versions existed (no ``ver``) end with the upgrade."""
    payload: dict[str, object] = {"uid": 7, "usr": "admin", "exp": 1893456000}
    if version is not None:
        payload["ver"] = version

    assert read_session(_signed(payload), secret=SECRET, now=NOW) is None


def test_a_well_formed_payload_signed_by_hand_is_accepted() -> None:
    """The control for the refusals above: each of them breaks exactly one field of this."""
    payload = {"uid": 7, "usr": "admin", "ver": 0, "exp": 1893456000}

    assert read_session(_signed(payload), secret=SECRET, now=NOW) == Session(
        user_id=7, username="admin", expires_at=datetime.fromtimestamp(1893456000, UTC)
    )
