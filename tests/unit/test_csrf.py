"""CSRF tokens, pure: bound to what they were made for and to the secret."""

from __future__ import annotations

from fenpei.http.csrf import csrf_token

SECRET = "s" * 32


def test_a_token_is_stable_for_its_binding_and_differs_for_any_other() -> None:
    token = csrf_token("session:abc", secret=SECRET)

    assert csrf_token("session:abc", secret=SECRET) == token
    assert csrf_token("session:abd", secret=SECRET) != token
    assert csrf_token("browser:abc", secret=SECRET) != token
    assert csrf_token("session:abc", secret="t" * 32) != token


def test_a_token_is_hex_safe_to_put_in_html_attributes_and_json() -> None:
    token = csrf_token("browser:<\"'>", secret=SECRET)

    assert len(token) == 64 and set(token) <= set("0123456789abcdef")
