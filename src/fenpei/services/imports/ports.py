"""What the browser / API import needs stored (adapters/db/repositories/import_uploads.py)
and read from files (adapters/files/uploads.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from fenpei.domain.import_uploads import ImportMapping, ImportUpload


class ImportUploadRepository(Protocol):
    def add(self, upload: ImportUpload) -> ImportUpload: ...
    def get(self, upload_id: int, *, with_bytes: bool = True) -> ImportUpload | None:
        """Without ``with_bytes`` the file's and error file's bytes are not read."""
        ...

    def has_error_file(self, upload_id: int) -> bool: ...
    def recent(self, *, limit: int = 50) -> list[ImportUpload]:
        """Uploads sent to import (not drafts), newest first, without their bytes."""
        ...

    def update(self, upload_id: int, **values: object) -> None: ...
    def claim(self, upload_id: int, *, now: datetime, stale_before: datetime) -> bool: ...
    def waiting(self, *, stale_before: datetime, limit: int = 10) -> list[int]: ...
    def has_drafts(self, *, before: datetime) -> bool:
        """Whether drafts uploaded before ``before`` (never imported) are left."""
        ...

    def delete_drafts(self, *, before: datetime) -> int: ...


class ImportMappingRepository(Protocol):
    def get(self, source: str) -> ImportMapping | None: ...
    def save(self, mapping: ImportMapping) -> None:
        """Insert or replace the source's mapping."""
        ...

    def sources(self) -> list[str]: ...


class OpenedTable(Protocol):
    """A file's table, streamed (``ImportTable`` of services/customer_import.py)."""

    @property
    def name(self) -> str: ...
    @property
    def headers(self) -> Sequence[str]: ...
    @property
    def rows(self) -> Iterable[tuple[int, Mapping[str, str]]]: ...
    @property
    def count(self) -> int: ...
    @property
    def sha256(self) -> str: ...


@dataclass(frozen=True)
class FileFacts:
    """What an upload is, as read: its table and what was detected on the way."""

    encoding: str | None  # CSV only: utf-8, gb18030 …
    delimiter: str | None  # CSV only
    sheets: list[str]  # xlsx only
    sheet: str | None  # xlsx only: the sheet read


class TableFiles(Protocol):
    """Reading uploaded files as tables and writing error files in the upload's format."""

    def open(
        self, name: str, data: bytes, *, sheet: str | None
    ) -> AbstractContextManager[tuple[OpenedTable, FileFacts]]:
        """The table of ``data`` (a file called ``name``), streamed from a temporary file
        that is gone when the context ends; ``ValidationFailed`` if it cannot be read."""
        ...

    def error_file(
        self,
        name: str,
        headers: Sequence[str],
        rows: Iterable[tuple[Mapping[str, str], str]],
        *,
        error_header: str,
        delimiter: str | None,
    ) -> tuple[str, bytes]:
        """(file name, bytes): the rows with their original columns and an error column,
        in the upload's format (CSV as UTF-8 with BOM, so Excel reads Chinese)."""
        ...


Rows = Iterator[tuple[int, Mapping[str, str]]]
