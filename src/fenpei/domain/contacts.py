"""Validation of contact details (email, phone, WeChat id), stdlib only."""

from __future__ import annotations

import re

from fenpei.domain.phrases import Phrase, too_long

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()\-.]+$")
_WECHAT = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{5,19}$")


def email_problem(value: str) -> str | None:
    """Why ``value`` is not a usable email address, or None if it is."""
    if len(value) > 254:
        return too_long(254)
    if not _EMAIL.fullmatch(value):
        text = "{value!r} is not an email address (expected name@example.com)"
        return Phrase("email", text, value=value)
    return None


def normalize_phone(value: str) -> str:
    """Strip separators so equal numbers compare equal: '+86 138-0013-8000' -> '+8613800138000'."""
    digits = re.sub(r"[^0-9]", "", value)
    return ("+" if value.strip().startswith("+") else "") + digits


def phone_problem(value: str) -> str | None:
    """Why ``value`` is not a phone number (7 to 15 digits, E.164), or None if it is."""
    if not _PHONE_CHARS.fullmatch(value):
        text = "{value!r} may contain only digits, spaces, +, -, ., ( and )"
        return Phrase("phone.chars", text, value=value)
    digits = sum(ch.isdigit() for ch in value)
    if not 7 <= digits <= 15:
        text = "{value!r} has {digits} digits; a phone number has 7 to 15"
        return Phrase("phone.digits", text, value=value, digits=digits)
    return None


def wechat_problem(value: str) -> str | None:
    """Why ``value`` is not a WeChat id (6-20 chars, starts with a letter), or None."""
    if not _WECHAT.fullmatch(value):
        text = "{value!r} is not a WeChat id (6-20 letters, digits, _ or -, starting with a letter)"
        return Phrase("wechat", text, value=value)
    return None
