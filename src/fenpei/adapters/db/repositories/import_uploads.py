"""Uploaded import files and remembered column mappings (domain/import_uploads.py), with
Core: a worker claims a queued upload by a conditional UPDATE, so two workers never run
the same one."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.import_uploads import ImportMapping, ImportUpload, UploadState

_FIELDS = [f.name for f in dataclasses.fields(ImportUpload)]
# What a list of uploads shows: never the file's or the error file's bytes.
_LISTED = [c for c in t.import_uploads.c if c.name not in ("data", "error_file")]


def _upload(row: Any, *, with_bytes: bool = True) -> ImportUpload:
    values = {name: getattr(row, name) for name in _FIELDS if name not in ("data", "error_file")}
    if with_bytes:
        values |= {"data": row.data, "error_file": row.error_file}
    else:
        values |= {"data": b"", "error_file": None}
    return ImportUpload(**values)


class SqlImportUploads(Repository):
    def add(self, upload: ImportUpload) -> ImportUpload:
        values = {name: getattr(upload, name) for name in _FIELDS if name != "id"}
        upload_id = self.session.execute(
            sa.insert(t.import_uploads).values(**values).returning(t.import_uploads.c.id)
        ).scalar_one()
        return dataclasses.replace(upload, id=upload_id)

    def get(self, upload_id: int, *, with_bytes: bool = True) -> ImportUpload | None:
        columns = list(t.import_uploads.c) if with_bytes else _LISTED
        row = self.session.execute(
            sa.select(*columns).where(t.import_uploads.c.id == upload_id)
        ).one_or_none()
        return _upload(row, with_bytes=with_bytes) if row is not None else None

    def has_error_file(self, upload_id: int) -> bool:
        c = t.import_uploads.c
        query = sa.select(c.error_file.is_not(None)).where(c.id == upload_id)
        return bool(self.session.scalar(query))

    def recent(self, *, limit: int = 50) -> list[ImportUpload]:
        c = t.import_uploads.c
        rows = self.session.execute(
            sa.select(*_LISTED)
            .where(c.state != UploadState.draft)
            .order_by(c.id.desc())
            .limit(limit)
        )
        return [_upload(row, with_bytes=False) for row in rows]

    def update(self, upload_id: int, **values: object) -> None:
        self.session.execute(
            sa.update(t.import_uploads)
            .where(t.import_uploads.c.id == upload_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def claim(self, upload_id: int, *, now: datetime, stale_before: datetime) -> bool:
        """Take a queued upload (or a running one whose worker went quiet before
        ``stale_before``) for this worker; False if another took it first."""
        c = t.import_uploads.c
        result = self.session.execute(
            sa.update(t.import_uploads)
            .where(
                c.id == upload_id,
                sa.or_(
                    c.state == UploadState.queued,
                    sa.and_(c.state == UploadState.running, c.claimed_at < stale_before),
                ),
            )
            .values(state=UploadState.running, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def waiting(self, *, stale_before: datetime, limit: int = 10) -> list[int]:
        """Queued uploads and running ones whose worker went quiet, oldest first."""
        c = t.import_uploads.c
        query = (
            sa.select(c.id)
            .where(
                sa.or_(
                    c.state == UploadState.queued,
                    sa.and_(c.state == UploadState.running, c.claimed_at < stale_before),
                )
            )
            .order_by(c.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def has_drafts(self, *, before: datetime) -> bool:
        c = t.import_uploads.c
        query = sa.select(c.id).where(c.state == UploadState.draft, c.uploaded_at < before)
        return self.session.scalar(query.limit(1)) is not None

    def delete_drafts(self, *, before: datetime) -> int:
        c = t.import_uploads.c
        result = self.session.execute(
            sa.delete(t.import_uploads).where(c.state == UploadState.draft, c.uploaded_at < before)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class SqlImportMappings(Repository):
    def get(self, source: str) -> ImportMapping | None:
        c = t.import_mappings.c
        row = self.session.execute(
            sa.select(t.import_mappings).where(c.source == source)
        ).one_or_none()
        if row is None:
            return None
        return ImportMapping(
            source=row.source,
            mapping=dict(row.mapping),
            updated_by=row.updated_by,
            updated_at=row.updated_at,
            id=row.id,
        )

    def save(self, mapping: ImportMapping) -> None:
        c = t.import_mappings.c
        values = {
            "mapping": mapping.mapping,
            "updated_by": mapping.updated_by,
            "updated_at": mapping.updated_at,
        }
        changed = self.session.execute(
            sa.update(t.import_mappings)
            .where(c.source == mapping.source)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            self.session.execute(
                sa.insert(t.import_mappings).values(source=mapping.source, **values)
            )

    def sources(self) -> list[str]:
        c = t.import_mappings.c
        return list(self.session.scalars(sa.select(c.source).order_by(c.source)))
