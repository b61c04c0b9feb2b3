"""File stores (services/files/ports.py ``FileStore``): local disk and S3-compatible."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Protocol

from fenpei.domain.errors import ValidationFailed

# Keys are made by fenpei (attachments/2026/12/<hex>), never from a user's file name;
# anything else is refused before it reaches a path or a URL.
_KEY = re.compile(r"[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-.]+)*")
CHUNK_BYTES = 256 * 1024


class _Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...
    def close(self) -> None: ...


class Chunks(Iterator[bytes]):
    """A stored file's bytes in chunks, its source closed when read to the end, when
    ``close()`` is called, or when the iterator is dropped unread (a download the client
    gave up on before its first byte): a generator's ``finally`` would not run then."""

    def __init__(self, source: _Readable) -> None:
        self._source: _Readable | None = source

    def __next__(self) -> bytes:
        if self._source is None:
            raise StopIteration
        chunk = self._source.read(CHUNK_BYTES)
        if not chunk:
            self.close()
            raise StopIteration
        return chunk

    def close(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            source.close()

    def __del__(self) -> None:
        self.close()


def checked_key(key: str) -> str:
    """``key`` if it is a safe relative key (no ``..``, no leading ``/``), else an error."""
    if not _KEY.fullmatch(key) or any(part in ("", ".", "..") for part in key.split("/")):
        raise ValidationFailed.one("key", f"{key!r} is not a valid storage key")
    if len(key) > 500:
        raise ValidationFailed.one("key", "is longer than 500 characters")
    return key
