"""Attachments' rows and a file store, in memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from fenpei.domain.attachments import Attachment
from fenpei.services.files.ports import StoredFileMissing
from tests.fakes.store import Store


class FakeAttachments:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, attachment: Attachment) -> None:
        self._store.add(self._store.attachments, attachment)

    def get(self, attachment_id: int) -> Attachment | None:
        return self._store.attachments.rows.get(attachment_id)

    def for_customer(self, customer_id: int, *, limit: int) -> list[Attachment]:
        mine = [
            a
            for a in self._store.attachments
            if a.customer_id == customer_id and a.deleted_at is None
        ]
        return sorted(mine, key=lambda a: (a.uploaded_at, a.id or 0), reverse=True)[:limit]

    def count_for(self, customer_id: int) -> int:
        return len(self.for_customer(customer_id, limit=10**9))

    def storage_keys(self) -> dict[str, int]:
        return {a.storage_key: a.id or 0 for a in self._store.attachments}

    def mark_deleted(self, attachment_id: int, *, at: datetime, by: str) -> None:
        row = self._store.attachments.rows.get(attachment_id)
        if row is not None and row.deleted_at is None:
            row.deleted_at, row.deleted_by = at, by


class FakeFileStore:
    """``FileStore`` in a dict; ``fail_puts`` makes the next puts raise (a full disk)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.types: dict[str, str] = {}
        self.fail_puts = 0

    def put(self, key: str, chunks: Iterable[bytes], content_type: str) -> int:
        data = b"".join(chunks)
        if self.fail_puts:
            self.fail_puts -= 1
            raise OSError("no space left on device")
        self.files[key], self.types[key] = data, content_type
        return len(data)

    def open(self, key: str) -> Iterator[bytes]:
        if key not in self.files:
            raise StoredFileMissing(key)
        return iter([self.files[key]])

    def delete(self, key: str) -> None:
        self.files.pop(key, None)

    def exists(self, key: str) -> bool:
        return key in self.files

    def keys(self, prefix: str = "") -> Iterator[str]:
        return iter([k for k in self.files if k.startswith(prefix)])
