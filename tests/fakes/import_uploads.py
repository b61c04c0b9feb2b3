"""``ImportUploadRepository`` and ``ImportMappingRepository`` (services/imports/ports.py)
over the fake store: rows in the store's vars, so snapshots and rollbacks cover them."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from fenpei.domain.import_uploads import ImportMapping, ImportUpload, UploadState
from tests.fakes.store import Store


class FakeImportUploads:
    def __init__(self, store: Store) -> None:
        self._store = store
        vars(store).setdefault("import_uploads", {})

    @property
    def _rows(self) -> dict[int, ImportUpload]:
        rows: dict[int, ImportUpload] = vars(self._store)["import_uploads"]
        return rows

    def add(self, upload: ImportUpload) -> ImportUpload:
        stored = dataclasses.replace(upload, id=max(self._rows, default=0) + 1)
        self._rows[stored.id or 0] = stored
        return stored

    def get(self, upload_id: int, *, with_bytes: bool = True) -> ImportUpload | None:
        found = self._rows.get(upload_id)
        if found is None or with_bytes:
            return dataclasses.replace(found) if found else None
        return dataclasses.replace(found, data=b"", error_file=None)

    def has_error_file(self, upload_id: int) -> bool:
        found = self._rows.get(upload_id)
        return found is not None and found.error_file is not None

    def recent(self, *, limit: int = 50) -> list[ImportUpload]:
        sent = [u for _, u in sorted(self._rows.items(), reverse=True)]
        listed = [dataclasses.replace(u, data=b"", error_file=None) for u in sent]
        return [u for u in listed if u.state is not UploadState.draft][:limit]

    def update(self, upload_id: int, **values: object) -> None:
        self._rows[upload_id] = dataclasses.replace(self._rows[upload_id], **values)  # type: ignore[arg-type]

    def _waiting(self, upload: ImportUpload, stale_before: datetime) -> bool:
        stale = upload.claimed_at is not None and upload.claimed_at < stale_before
        return upload.state is UploadState.queued or (upload.state is UploadState.running and stale)

    def claim(self, upload_id: int, *, now: datetime, stale_before: datetime) -> bool:
        if not self._waiting(self._rows[upload_id], stale_before):
            return False
        self.update(upload_id, state=UploadState.running, claimed_at=now)
        return True

    def waiting(self, *, stale_before: datetime, limit: int = 10) -> list[int]:
        return sorted(i for i, u in self._rows.items() if self._waiting(u, stale_before))[:limit]

    def has_drafts(self, *, before: datetime) -> bool:
        return any(
            u.state is UploadState.draft and u.uploaded_at < before for u in self._rows.values()
        )

    def delete_drafts(self, *, before: datetime) -> int:
        old = [
            i
            for i, u in self._rows.items()
            if u.state is UploadState.draft and u.uploaded_at < before
        ]
        for upload_id in old:
            del self._rows[upload_id]
        return len(old)


class FakeImportMappings:
    def __init__(self, store: Store) -> None:
        self._store = store
        vars(store).setdefault("import_mappings", {})

    @property
    def _rows(self) -> dict[str, ImportMapping]:
        rows: dict[str, ImportMapping] = vars(self._store)["import_mappings"]
        return rows

    def get(self, source: str) -> ImportMapping | None:
        found = self._rows.get(source)
        return dataclasses.replace(found, mapping=dict(found.mapping)) if found else None

    def save(self, mapping: ImportMapping) -> None:
        self._rows[mapping.source] = dataclasses.replace(mapping, mapping=dict(mapping.mapping))

    def sources(self) -> list[str]:
        return sorted(self._rows)
