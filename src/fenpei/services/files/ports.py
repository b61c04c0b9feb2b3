"""What the attachment services need from outside: a file store and the attachment rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol

from fenpei.domain.attachments import Attachment


class StoredFileMissing(LookupError):
    """The store has no file under the key (removed by hand, or a store switched)."""


class FileStore(Protocol):
    """Bytes under opaque keys (``a/b/c``: letters, digits, ``-``, ``_``, ``/``). Local
    disk by default, S3-compatible object storage in production (adapters/storage/)."""

    def put(self, key: str, chunks: Iterable[bytes], content_type: str) -> int:
        """Store ``chunks`` under ``key`` whole or not at all (a reader never sees half a
        file); return the number of bytes written. An existing key is replaced."""
        ...

    def open(self, key: str) -> Iterator[bytes]:
        """The file's bytes in chunks; ``StoredFileMissing`` if there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the file; nothing happens if there is none."""
        ...

    def exists(self, key: str) -> bool: ...

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every key starting with ``prefix``, in no promised order."""
        ...


class AttachmentRepository(Protocol):
    def add(self, attachment: Attachment) -> None: ...
    def get(self, attachment_id: int) -> Attachment | None: ...
    def for_customer(self, customer_id: int, *, limit: int) -> list[Attachment]:
        """The customer's attachments that are not deleted, newest first."""
        ...

    def count_for(self, customer_id: int) -> int: ...
    def storage_keys(self) -> dict[str, int]:
        """Every attachment's storage key (deleted ones too) -> its id."""
        ...

    def mark_deleted(self, attachment_id: int, *, at: datetime, by: str) -> None: ...
