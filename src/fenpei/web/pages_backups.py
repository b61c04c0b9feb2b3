"""备份: the admins' page of the backups — the list (when, size, kind, verified), "back up
now", a download (streamed, audited) and how to restore (with the CLI, into an empty
database: the browser never overwrites the live database)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.services.backups import catalog
from fenpei.web.rendering import render

router = APIRouter(include_in_schema=False)
# Any text: a name that is no backup's is a 404 page, like any other unknown record.
BackupName = Annotated[str, Path(max_length=100)]


def size_text(size: int) -> str:
    """Bytes for people: 812 B, 14.2 KB, 3.1 MB, 1.2 GB."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover - the loop returns


@router.get("/admin/backups")
def backups_page(
    request: Request,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    made: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """备份: every backup, newest first, with "back up now" and the restore steps."""
    settings = fenpei.settings
    store = fenpei.backups()
    entries = catalog.list_backups(store=store, actor=actor)
    context = {
        "user": user,
        "active": "admin",
        "entries": entries,
        "sizes": {e.name: size_text(e.size) for e in entries},
        "made": next((e for e in entries if e.name == made), None),
        "every_hours": settings.backup_every_hours,
        "keep_daily": settings.backup_keep_daily,
        "keep_weekly": settings.backup_keep_weekly,
        "folder": str(settings.backup_dir),
        "is_sqlite": settings.is_sqlite,
    }
    return render(request, "backups/backups.html", context)


@router.post("/admin/backups/run")
def run_backup(uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> Response:
    """Back up now (admins only; audited), then show the list with the new backup."""
    uow.rollback()  # end the request's transaction: the snapshot and the audit run apart
    store = fenpei.backups()
    entry = catalog.back_up_now(store=store, uow_factory=fenpei.uow, actor=actor, now=fenpei.now())
    return RedirectResponse(f"/admin/backups?made={entry.name}", status_code=303)


@router.get("/admin/backups/{name}/download")
def download_backup(name: BackupName, actor: CurrentActor, fenpei: FenpeiDep) -> Response:
    """The archive, streamed (admins only; audited)."""
    store = fenpei.backups()
    path = catalog.download(
        store=store, uow_factory=fenpei.uow, actor=actor, name=name, now=fenpei.now()
    )
    return FileResponse(path, media_type="application/gzip", filename=name)
