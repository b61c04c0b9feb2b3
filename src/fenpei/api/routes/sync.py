"""CRM sync (同步), for admins: connections and their last run, "sync now", reset the
pull cursor, assignments as CSV since a cursor; and the bridge's signed webhook."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import PlainTextResponse

from fenpei.api.routes.webhooks import RawBody
from fenpei.api.schemas import ErrorRead
from fenpei.api.sync_schemas import BridgeAccepted, SyncConnectionRead, SyncCountsRead, SyncRunRead
from fenpei.bootstrap import Fenpei, run_sync_connection
from fenpei.config import SyncConnection, SyncKind
from fenpei.domain.errors import NotFound, ValidationFailed
from fenpei.http.deps import AdminActor, FenpeiDep, UowDep, actor_of
from fenpei.services import tokens, webhooks
from fenpei.services.sync import bridge, run
from fenpei.services.sync.field_map import ZOHO_DEFAULT

SYNC_WRITE = "sync:write"
router = APIRouter(prefix="/sync", tags=["sync"])
ADMINS_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Logged in, but not an admin."},
}
UNKNOWN: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorRead, "description": "No sync connection of that name."},
}
Name = Annotated[
    str, Path(min_length=1, max_length=64, description="The connection's name (settings).")
]


def connection_of(fenpei: Fenpei, name: str) -> SyncConnection:
    found = next((c for c in fenpei.settings.sync_connections if c.name == name), None)
    if found is None:
        raise NotFound("sync connection", name)
    return found


def _configured(fenpei: Fenpei) -> dict[str, tuple[str, str]]:
    return {c.name: (c.kind.value, c.module) for c in fenpei.settings.sync_connections}


@router.get("/connections", responses=ADMINS_ONLY)
def list_connections(uow: UowDep, actor: AdminActor, fenpei: FenpeiDep) -> list[SyncConnectionRead]:
    """Each configured connection: its cursors, links, pushes by status and last run."""
    found = run.statuses(uow=uow, connections=_configured(fenpei), actor=actor)
    return [SyncConnectionRead.of(status) for status in found]


@router.post("/connections/{name}/run", responses={**ADMINS_ONLY, **UNKNOWN})
def run_now(name: Name, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep) -> SyncRunRead:
    """Sync now: pull what changed, push owner changes; answers when done. A CRM error
    ends the run early (its message in `errors`); the next run resumes from the cursors."""
    if connection_of(fenpei, name).kind is not SyncKind.zoho:
        raise ValidationFailed.one(
            "name", f"{name!r} is a bridge: its CRM sends records by webhook"
        )
    uow.rollback()  # end the request's transaction before the run opens its own
    counts = run_sync_connection(fenpei, name, actor=actor)
    return SyncRunRead(
        name=name, ran=counts is not None, counts=SyncCountsRead.of(counts) if counts else None
    )


@router.post("/connections/{name}/reset-cursor", responses={**ADMINS_ONLY, **UNKNOWN})
def reset_cursor(
    name: Name, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> SyncConnectionRead:
    """Pull every record again on the next run (linked ones update, never duplicate)."""
    run.reset_pull_cursor(
        uow=uow, connection=name, known=set(_configured(fenpei)), actor=actor, now=fenpei.now()
    )
    uow.commit()
    found = run.statuses(uow=uow, connections={name: _configured(fenpei)[name]}, actor=actor)
    return SyncConnectionRead.of(found[0])


@router.get(
    "/connections/{name}/assignments.csv",
    responses={**ADMINS_ONLY, **UNKNOWN, 200: {"content": {"text/csv": {}}}},
    response_class=PlainTextResponse,
)
def assignments_csv(
    name: Name,
    uow: UowDep,
    actor: AdminActor,
    fenpei: FenpeiDep,
    after: Annotated[
        int, Query(ge=0, le=2**62, description="The last assignment id you have.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000, description="At most this many rows.")] = 1000,
) -> Response:
    """Owner changes after assignment id `after`, oldest first, with the customer's
    external id in this connection; keep the last `assignment_id` as your next `after`.
    (Pushed as they happen instead: subscribe a webhook to `customer.assigned`.)"""
    connection = connection_of(fenpei, name)
    rows = bridge.assignment_rows(
        uow=uow, connection=name, module=connection.module, after=after, limit=limit, actor=actor
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(bridge.CSV_COLUMNS)
    writer.writerows(rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


hooks = APIRouter(prefix="/webhooks/sync", tags=["sync"])
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["records"],
                    "properties": {
                        "records": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["external_id", "fields"],
                                "properties": {
                                    "external_id": {"type": "string"},
                                    "owner_email": {"type": "string"},
                                    "fields": {"type": "object"},
                                },
                            },
                        }
                    },
                }
            }
        },
    }
}


@hooks.post(
    "/{name}",
    responses={**UNKNOWN, 401: {"model": ErrorRead}, 422: {"model": ErrorRead}},
    openapi_extra=_BODY,
)
def bridge_webhook(
    name: Name,
    raw: RawBody,
    uow: UowDep,
    fenpei: FenpeiDep,
    x_fenpei_token_id: Annotated[str | None, Header(description="The token's prefix.")] = None,
    x_fenpei_timestamp: Annotated[str | None, Header(description="Unix seconds.")] = None,
    x_fenpei_signature: Annotated[str | None, Header(description="`sha256=<hex>`.")] = None,
) -> BridgeAccepted:
    """Upsert customers by external id from a CRM without an adapter, signed like
    `POST /api/v1/webhooks/leads` (same three headers; a token with `sync:write`).

    Body: `{"records": [{"external_id": "A-17", "owner_email": "li@example.cn",
    "fields": {...}}]}` — up to 1,000; `fields` in the CRM's names when the connection
    has a `field_map`, else in fenpei's (`name`, `phone`, `email`, `custom.<key>` …).
    New customers are created as by intake (scored, duplicate-checked, routed when no
    owner is given); an `owner_email` of a rep gives it to that rep. All or nothing: 422
    names every bad record and field (`records[3].fields.Email`), nothing is written."""
    user, token = webhooks.verify_signed_request(
        uow=uow,
        secret_key=fenpei.settings.secret_key,
        token_id=x_fenpei_token_id,
        timestamp=x_fenpei_timestamp,
        signature_header=x_fenpei_signature,
        body=raw,
        now=fenpei.now(),
    )
    tokens.require_scope(token, SYNC_WRITE)
    connection = connection_of(fenpei, name)
    try:
        payload = json.loads(raw)
    except ValueError:
        raise ValidationFailed.one("body", "is not JSON") from None
    field_map = connection.field_map
    if field_map is None and connection.kind is SyncKind.zoho:
        field_map = ZOHO_DEFAULT
    counts = bridge.receive_records(
        uow=uow,
        rulebook=fenpei.rulebook,
        connection=name,
        module=connection.module,
        payload=payload,
        field_map=field_map,
        user_map=connection.user_map,
        actor=actor_of(user, token),
        now=fenpei.now(),
        rng=fenpei.rng(),
    )
    uow.commit()
    return BridgeAccepted(
        created=counts.created, updated=counts.updated, linked=counts.linked,
        owner_changes=counts.owner_changes,
    )  # fmt: skip
