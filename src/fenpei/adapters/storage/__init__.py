"""File stores (services/files/ports.py ``FileStore``): local disk and S3-compatible."""

from __future__ import annotations

import re

from fenpei.domain.errors import ValidationFailed

# Keys are made by fenpei (attachments/2026/12/<hex>), never from a user's file name;
# anything else is refused before it reaches a path or a URL.
_KEY = re.compile(r"[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-.]+)*")
CHUNK_BYTES = 256 * 1024


def checked_key(key: str) -> str:
    """``key`` if it is a safe relative key (no ``..``, no leading ``/``), else an error."""
    if not _KEY.fullmatch(key) or any(part in ("", ".", "..") for part in key.split("/")):
        raise ValidationFailed.one("key", f"{key!r} is not a valid storage key")
    if len(key) > 500:
        raise ValidationFailed.one("key", "is longer than 500 characters")
    return key
