"""Backups (备份), for admins: the list, "back up now" and a download (audited). Restoring
is done with `fenpei restore` into an empty database, never into the live one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse

from fenpei.api.backup_schemas import BackupRead
from fenpei.api.schemas import ErrorRead
from fenpei.http.deps import AdminActor, FenpeiDep, UowDep
from fenpei.services.backups import catalog
from fenpei.services.backups.entries import NAME_PATTERN

router = APIRouter(prefix="/backups", tags=["backups"])

ADMINS_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Logged in, but not an admin."},
}
BackupName = Annotated[
    str,
    Path(
        max_length=100,
        pattern=NAME_PATTERN,
        description="The archive's name, e.g. `fenpei-20261205-020000-daily.tar.gz`.",
    ),
]


@router.get("", responses=ADMINS_ONLY)
def list_backups(actor: AdminActor, fenpei: FenpeiDep) -> list[BackupRead]:
    """Every backup, newest first: when, kind (daily / weekly / manual), size, verified
    (admins only)."""
    store = fenpei.backups()
    return [BackupRead.of(e) for e in catalog.list_backups(store=store, actor=actor)]


@router.post(
    "",
    status_code=201,
    responses={
        **ADMINS_ONLY,
        409: {"model": ErrorRead, "description": "Another backup is being made, or it failed."},
    },
)
def back_up_now(uow: UowDep, actor: AdminActor, fenpei: FenpeiDep) -> BackupRead:
    """Back up the database and the attachment files now and answer when the archive is
    made and verified (admins only; audited). Retention never removes a manual backup."""
    uow.rollback()  # end the request's transaction: SQLite's snapshot reads on its own
    store = fenpei.backups()
    made = catalog.back_up_now(store=store, uow_factory=fenpei.uow, actor=actor, now=fenpei.now())
    return BackupRead.of(made)


@router.get(
    "/{name}",
    response_class=FileResponse,
    responses={
        **ADMINS_ONLY,
        200: {"content": {"application/gzip": {}}, "description": "The archive."},
        404: {"model": ErrorRead, "description": "No backup of that name."},
    },
)
def download_backup(name: BackupName, actor: AdminActor, fenpei: FenpeiDep) -> FileResponse:
    """The archive itself, streamed (admins only; audited: it holds every record)."""
    store = fenpei.backups()
    path = catalog.download(
        store=store, uow_factory=fenpei.uow, actor=actor, name=name, now=fenpei.now()
    )
    return FileResponse(path, media_type="application/gzip", filename=name)
