"""CRM sync (同步), for admins: connections and their last run, "sync now", reset the
pull cursor, assignments as CSV since a cursor; and the bridge's signed webhook."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response

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
Connection = Annotated[
    str, Path(min_length=1, max_length=64, description="The connection's name (settings).")
]


def connection_of(fenpei: Fenpei, name: str) -> SyncConnection:
    """The configured connection ``name``, or ``NotFound``."""
    found = next((c for c in fenpei.settings.sync_connections if c.name == name), None)
    if found is None:
        raise NotFound("sync connection", name)
    return found


def _configured(fenpei: Fenpei) -> dict[str, tuple[str, str]]:
    return {c.name: (c.kind.value, c.module) for c in fenpei.settings.sync_connections}


@router.get("/connections", responses=ADMINS_ONLY)
def list_connections(uow: UowDep, actor: AdminActor, fenpei: FenpeiDep) -> list[SyncConnectionRead]:
    """Each configured connection: its cursors, links, pushes by status and last run
    (admins only; credentials are never shown)."""
    found = run.statuses(uow=uow, connections=_configured(fenpei), actor=actor)
    return [SyncConnectionRead.of(status) for status in found]


@router.post(
    "/connections/{connection}/run",
    responses={**ADMINS_ONLY, **UNKNOWN, 422: {"model": ErrorRead}},
)
def run_now(
    connection: Connection, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> SyncRunRead:
    """Sync now: pull what changed, push owner changes; answers when done. A CRM error
    ends the run early (its message in `errors`); the next run resumes from the cursors.
    A bridge has nothing to run (422)."""
    if connection_of(fenpei, connection).kind is not SyncKind.zoho:
        raise ValidationFailed.one(
            "connection", f"{connection!r} is a bridge: its CRM sends records by webhook"
        )
    uow.rollback()  # end the request's transaction before the run opens its own
    counts = run_sync_connection(fenpei, connection, actor=actor)
    return SyncRunRead(
        name=connection,
        ran=counts is not None,
        counts=SyncCountsRead.of(counts) if counts is not None else None,
    )


@router.post("/connections/{connection}/reset-cursor", responses={**ADMINS_ONLY, **UNKNOWN})
def reset_cursor(
    connection: Connection, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> SyncConnectionRead:
    """Pull every record again on the next run (linked ones update, never duplicate)."""
    configured = _configured(fenpei)
    run.reset_pull_cursor(
        uow=uow, connection=connection, known=set(configured), actor=actor, now=fenpei.now()
    )
    uow.commit()
    found = run.statuses(uow=uow, connections={connection: configured[connection]}, actor=actor)
    return SyncConnectionRead.of(found[0])


@router.get(
    "/connections/{connection}/assignments.csv",
    responses={
        **ADMINS_ONLY,
        **UNKNOWN,
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"},
    },
    response_class=Response,
)
def assignments_csv(
    connection: Connection,
    uow: UowDep,
    actor: AdminActor,
    fenpei: FenpeiDep,
    after: Annotated[
        int, Query(ge=0, le=2**31 - 1, description="The last assignment id you have.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000, description="At most this many rows.")] = 1000,
) -> Response:
    """Owner changes after assignment id `after`, oldest first, with the customer's
    external id in this connection; keep the last `assignment_id` as your next `after`.
    Cells that a spreadsheet would run as a formula are prefixed with `'`. (Pushed as they
    happen instead: subscribe a webhook to `customer.assigned`.)"""
    module = connection_of(fenpei, connection).module
    rows = bridge.assignment_rows(
        uow=uow,
        connection=connection,
        module=module,
        after=after,
        limit=limit,
        actor=actor,
    )
    uow.rollback()  # the read is done; the audit entry is written in a transaction of its own
    with fenpei.uow() as audit:
        bridge.record_export(
            uow=audit, connection=connection, after=after, rows=len(rows), actor=actor,
            now=fenpei.now(),
        )  # fmt: skip
        audit.commit()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(bridge.CSV_COLUMNS)
    writer.writerows(rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


hooks = APIRouter(prefix="/webhooks/sync", tags=["sync"])
_EXAMPLE = {
    "records": [
        {
            "external_id": "A-17",
            "fields": {"Full_Name": "Wang Fang 王芳", "Email": "wang.fang@example.cn"},
        }
    ]
}
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["records"],
                    "example": _EXAMPLE,
                    "properties": {
                        "records": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": bridge.MAX_RECORDS,
                            "items": {
                                "type": "object",
                                "required": ["external_id", "fields"],
                                "properties": {
                                    "external_id": {"type": "string", "maxLength": 100},
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
_HOOK_ANSWERS: dict[int | str, dict[str, Any]] = {
    **UNKNOWN,
    401: {"model": ErrorRead, "description": "A header is missing or wrong; the message names it."},
    403: {"model": ErrorRead, "description": "The token lacks `sync:write`, or its user's role."},
    409: {
        "model": ErrorRead,
        "description": "`webhook_replayed`: this exact request came already.",
    },
    422: {"model": ErrorRead, "description": "Every bad record and field, named; nothing written."},
}


@hooks.post("/{connection}", responses=_HOOK_ANSWERS, openapi_extra=_BODY)
def bridge_webhook(
    connection: Connection,
    raw: RawBody,
    uow: UowDep,
    fenpei: FenpeiDep,
    x_fenpei_token_id: Annotated[str | None, Header(description="The token's prefix.")] = None,
    x_fenpei_timestamp: Annotated[str | None, Header(description="Unix seconds.")] = None,
    x_fenpei_signature: Annotated[str | None, Header(description="`sha256=<hex>`.")] = None,
) -> BridgeAccepted:
    """Upsert customers by external id from a CRM without an adapter, signed like
    `POST /api/v1/webhooks/leads` (the same three headers; a token with `sync:write`).

    Body: `{"records": [{"external_id": "A-17", "owner_email": "li@example.cn",
    "fields": {...}}]}` — up to 1,000; `fields` in the CRM's names when the connection
    has a `field_map` (a Zoho connection: Zoho's names), else in fenpei's (`name`,
    `phone`, `email`, `custom.<key>` …). New customers are created as by intake (scored,
    matched by phone / email, routed when no owner is given); an `owner_email` of a rep
    gives it to that rep. All or nothing: 422 names every bad record and field
    (`records[3].fields.Email`), and nothing is written."""
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
    found = connection_of(fenpei, connection)
    try:
        payload = json.loads(raw)
    except ValueError:
        raise ValidationFailed.one("body", "is not JSON") from None
    field_map = found.field_map
    if field_map is None and found.kind is SyncKind.zoho:
        field_map = ZOHO_DEFAULT
    counts = bridge.receive_records(
        uow=uow,
        rulebook=fenpei.rulebook,
        connection=connection,
        module=found.module,
        payload=payload,
        field_map=field_map,
        user_map=found.user_map,
        actor=actor_of(user, token),
        now=fenpei.now(),
        rng=fenpei.rng(),
    )
    uow.commit()
    return BridgeAccepted(
        created=counts.created,
        updated=counts.updated,
        linked=counts.linked,
        owner_changes=counts.owner_changes,
    )
