"""What the import API returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from fenpei.domain.import_uploads import ImportMode, UploadState
from fenpei.services.imports.uploads import Progress


class ImportErrorRead(BaseModel):
    field: str = Field(description="Where: `row N.field`, `file`, `mapping.<column>` …")
    message: str


class ImportRead(BaseModel):
    """An import of an uploaded file: its mapping and mode, and how far it got."""

    id: int
    file_name: str
    uploaded_by: str
    uploaded_at: datetime
    state: UploadState = Field(description="queued → running → done or failed.")
    mode: ImportMode = Field(
        description="`all`: any bad row writes nothing; `skip`: bad rows go to the error file."
    )
    route: bool = Field(
        description="Whether the imported customers are routed (else they wait unassigned)."
    )
    encoding: str | None = Field(description="The detected text encoding of a CSV.")
    sheet: str | None
    source: str | None = Field(description="Where the mapping is remembered.")
    mapping: dict[str, str | None] = Field(description="Column → field; null: ignored.")
    rows: int = Field(description="Data rows in the file.")
    rows_total: int = Field(description="Rows to write (the good ones).")
    rows_done: int = Field(description="Rows written so far.")
    rows_routed: int
    bad_rows: int
    errors: list[ImportErrorRead] = Field(description="The first problems (at most 100).")
    error_file: str | None = Field(description="Where to download the bad rows, once finished.")
    import_job: int | None = Field(description="The import job (`fenpei import jobs`).")
    finished_at: datetime | None
    note: str | None

    @classmethod
    def of(cls, p: Progress) -> ImportRead:
        u = p.upload
        assert u.id is not None
        routed = (p.job.rows_imported - p.pending) if p.job and u.route else 0
        return cls(
            id=u.id,
            file_name=u.file_name,
            uploaded_by=u.uploaded_by,
            uploaded_at=u.uploaded_at,
            state=u.state,
            mode=u.mode,
            route=u.route,
            encoding=u.encoding,
            sheet=u.sheet,
            source=u.source,
            mapping=u.mapping,
            rows=u.rows,
            rows_total=p.rows_total,
            rows_done=p.rows_done,
            rows_routed=routed,
            bad_rows=u.bad_rows,
            errors=[ImportErrorRead(field=e["field"], message=e["message"]) for e in u.errors],
            error_file=f"/api/v1/imports/{u.id}/errors"
            if p.finished and p.has_error_file
            else None,
            import_job=u.job_id,
            finished_at=u.finished_at,
            note=u.note,
        )
