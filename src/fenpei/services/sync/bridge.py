"""The generic bridge for a CRM without an adapter: records come in by a signed webhook
(upserted by external id through the same path as a pull), owner changes go out as CSV
since a cursor (or by the existing outgoing webhook subscriptions, ``customer.assigned``).

A webhook batch is all or nothing: every bad record and field is named
(``records[3].fields.Email: …``) and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from random import Random
from typing import Any

from fenpei.domain.audit import AuditEntry
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.sync import CrmRecord, SyncCounts
from fenpei.domain.users import Actor
from fenpei.services import scope
from fenpei.services.ports import UnitOfWork
from fenpei.services.rulebook import RuleBook
from fenpei.services.sync.field_map import apply_map
from fenpei.services.sync.owners import owner_map
from fenpei.services.sync.upsert import upsert_record

MAX_RECORDS = 1000
EXTERNAL_ID_MAX = 100


def _parse(payload: object, field_map: Mapping[str, str] | None) -> list[CrmRecord]:
    """The records of a webhook body, or ``ValidationFailed`` naming every bad one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("records"), list):
        raise ValidationFailed.one("records", "send a JSON object with a list of records")
    raw = payload["records"]
    if not 1 <= len(raw) <= MAX_RECORDS:
        raise ValidationFailed.one("records", f"send 1 to {MAX_RECORDS} records, got {len(raw)}")
    errors: list[FieldError] = []
    records: list[CrmRecord] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        at = f"records[{i}]"
        if not isinstance(item, dict):
            errors.append(FieldError(at, "must be an object"))
            continue
        external_id = item.get("external_id")
        if not isinstance(external_id, str) or not 1 <= len(external_id.strip()) <= EXTERNAL_ID_MAX:
            errors.append(
                FieldError(f"{at}.external_id", f"required, 1 to {EXTERNAL_ID_MAX} characters")
            )
            continue
        if external_id in seen:
            errors.append(FieldError(f"{at}.external_id", f"{external_id!r} appears twice"))
            continue
        seen.add(external_id)
        fields = item.get("fields")
        if not isinstance(fields, dict) or not fields:
            errors.append(FieldError(f"{at}.fields", "must be an object of field: value"))
            continue
        owner = item.get("owner_email")
        if owner is not None and not isinstance(owner, str):
            errors.append(FieldError(f"{at}.owner_email", "must be text"))
            continue
        mapped = apply_map(fields, field_map) if field_map else dict(fields)
        records.append(CrmRecord(external_id.strip(), mapped, owner_email=owner))
    if errors:
        raise ValidationFailed(errors)
    return records


def _named(
    errors: Sequence[FieldError], at: str, field_map: Mapping[str, str] | None
) -> Iterator[FieldError]:
    theirs = {ours: crm for crm, ours in (field_map or {}).items()}
    for error in errors:
        name = error.field
        shown = theirs.get(name) or theirs.get(f"custom.{name.removeprefix('custom.')}") or name
        yield FieldError(f"{at}.fields.{shown}", error.message)


def receive_records(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    connection: str,
    module: str,
    payload: object,
    field_map: Mapping[str, str] | None,
    user_map: Mapping[str, str],
    actor: Actor,
    now: datetime,
    rng: Random,
) -> SyncCounts:
    """Upsert the webhook's records by external id (the caller commits); all or nothing."""
    scope.require_writer(actor, "sync customers")
    records = _parse(payload, field_map)
    owners = owner_map([], uow.reps.all(), user_map)
    counts = SyncCounts()
    errors: list[FieldError] = []
    for i, record in enumerate(records):
        rep_id = owners.rep_for(None, record.owner_email)
        if record.owner_email and rep_id is None:
            errors.append(
                FieldError(f"records[{i}].owner_email", f"no active rep has {record.owner_email!r}")
            )
            continue
        savepoint = uow.savepoint()
        try:
            upsert_record(
                uow, rulebook=rulebook, connection=connection, module=module, record=record,
                rep_id=rep_id, actor=actor, now=now, rng=rng, counts=counts,
            )  # fmt: skip
            savepoint.release()
        except ValidationFailed as exc:
            savepoint.rollback()
            errors.extend(_named(exc.errors, f"records[{i}]", field_map))
        counts.pulled += 1
    if errors:
        raise ValidationFailed(errors)
    return counts


CSV_COLUMNS = (
    "assignment_id", "at", "customer_id", "external_id", "method", "from_rep", "to_rep",
    "to_rep_email",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell that starts like a formula: make it text.
    return "'" + text if text.startswith(_FORMULA_START) else text


def assignment_rows(
    *,
    uow: UnitOfWork,
    connection: str,
    module: str,
    after: int,
    limit: int,
    actor: Actor,
) -> list[list[str]]:
    """Owner changes after assignment id ``after`` (the caller's cursor), oldest first, with
    the customer's external id for this connection; each row's first cell is the next cursor."""
    scope.require_admin(actor, "export sync assignments")
    batch = uow.sync.assignments_after(after, limit=limit)
    links = uow.sync.externals_of(connection, module, {row.customer_id for row in batch})
    reps = {rep.id: rep for rep in uow.reps.all()}
    rows: list[list[str]] = []
    for row in batch:
        to_rep = reps.get(row.to_rep_id) if row.to_rep_id is not None else None
        from_rep = reps.get(row.from_rep_id) if row.from_rep_id is not None else None
        values: list[Any] = [
            row.id,
            row.at.isoformat(),
            row.customer_id,
            links.get(row.customer_id),
            row.method,
            from_rep.name if from_rep else "",
            to_rep.name if to_rep else "",
            to_rep.email if to_rep and to_rep.email else "",
        ]
        rows.append([_cell(v) for v in values])
    return rows


def record_export(
    *, uow: UnitOfWork, connection: str, after: int, rows: int, actor: Actor, now: datetime
) -> None:
    """An export reveals data: write who took which rows (the caller commits)."""
    uow.audit.add(
        AuditEntry(
            actor=actor.name,
            action="sync.export",
            object_type="sync_connection",
            object_id=connection,
            at=now,
            before={},
            after={"after": after, "rows": rows},
        )
    )
