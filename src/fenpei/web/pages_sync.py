"""同步: the admins' page of CRM sync — each connection's cursors, links, pushes by status,
last run and error, with "sync now" and "pull everything again"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.bootstrap import run_sync_connection
from fenpei.config import SyncKind
from fenpei.domain.errors import NotFound, ValidationFailed
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.services import scope
from fenpei.services.sync import run
from fenpei.web.rendering import render

router = APIRouter(include_in_schema=False)
Name = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/admin/sync")
def sync_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    ran: Annotated[str | None, Query(max_length=64)] = None,
    reset: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """同步: every configured CRM connection and what its last run did (admins only)."""
    connections = {c.name: (c.kind.value, c.module) for c in fenpei.settings.sync_connections}
    found = run.statuses(uow=uow, connections=connections, actor=actor)
    context = {
        "user": user,
        "active": "sync",
        "connections": found,
        "ran": next((s for s in found if s.name == ran), None),
        "reset": reset if reset in connections else None,
    }
    return render(request, "sync/sync.html", context)


@router.post("/admin/sync/{name}/run")
def sync_now(uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep, name: Name) -> Response:
    """Run the connection now and come back to the page, which shows what it did."""
    scope.require_admin(actor, "run CRM sync")
    found = next((c for c in fenpei.settings.sync_connections if c.name == name), None)
    if found is None:
        raise NotFound("sync connection", name)
    if found.kind is not SyncKind.zoho:
        raise ValidationFailed.one(
            "name", f"{name!r} is a bridge: its CRM sends records by webhook"
        )
    uow.rollback()  # end the request's transaction: the run opens its own (SQLite's lock)
    run_sync_connection(fenpei, name, actor=actor)
    return RedirectResponse(f"/admin/sync?ran={name}", status_code=303)


@router.post("/admin/sync/{name}/reset-cursor")
def reset_cursor(uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep, name: Name) -> Response:
    """Pull every record again on the next run (audited)."""
    known = {c.name for c in fenpei.settings.sync_connections}
    run.reset_pull_cursor(uow=uow, connection=name, known=known, actor=actor, now=fenpei.now())
    uow.commit()
    return RedirectResponse(f"/admin/sync?reset={name}", status_code=303)
