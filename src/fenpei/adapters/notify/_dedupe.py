"""The dedupe key on the wire: every email and webhook request carries the delivery's key in
one header, so a receiver can drop a repeat (sent again after a worker died mid-send)."""

from __future__ import annotations

from urllib.parse import quote

DEDUPE_HEADER = "X-Fenpei-Dedupe-Key"
# Header values must be printable ASCII: anything else in a key (a robot named in Chinese)
# is percent-encoded as UTF-8, and so is "%" itself, so receivers unquote to get the key.
_HEADER_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")


def header_value(key: str) -> str:
    """The dedupe key as a header value: unchanged when it is printable ASCII without '%'."""
    return quote(key, safe=_HEADER_SAFE)
