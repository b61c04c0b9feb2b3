"""Session cookies: what is signed comes back; anything tampered, expired or odd does not."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from fenpei.api import sessions
from fenpei.api.sessions import (
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
        {"uid": "7", "usr": "admin", "exp": 1893456000},
        {"uid": True, "usr": "admin", "exp": 1893456000},
        {"uid": 7, "usr": None, "exp": 1893456000},
        {"uid": 7, "usr": "admin", "exp": "tomorrow"},
        {"uid": 7, "usr": "admin", "exp": 1.5e9},
        {"uid": 7, "usr": "admin", "exp": 10**30},
        {"uid": 7, "usr": "admin"},
    ],
)
def test_signed_but_ill_formed_payloads_are_rejected(payload: object) -> None:
    assert read_session(_signed(payload), secret=SECRET, now=NOW) is None


def test_signed_payload_that_is_not_json_is_rejected() -> None:
    body = base64.urlsafe_b64encode(b"\xff\xfe not json").rstrip(b"=").decode()
    token = f"{body}.{sessions._signature(body, SECRET)}"

    assert read_session(token, secret=SECRET, now=NOW) is None
