"""Writing audit entries: a JSON-safe snapshot of an object, before and after."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from fenpei.domain.audit import AuditEntry
from fenpei.domain.users import Actor
from fenpei.services.ports import UnitOfWork

# "secret": a webhook subscription signs with it (kept in plain, never logged).
_SECRET_FIELDS = {"password_hash", "secret_hash", "secret"}
# Derived from other fields (a customer's duplicate-check keys): their change is the other's.
_DERIVED_FIELDS = {"phone_key", "email_key", "company_key"}


def json_safe(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    return value


def snapshot(obj: object) -> dict[str, Any]:
    """The fields of a domain dataclass as JSON-ready values (secrets left out)."""
    assert dataclasses.is_dataclass(obj) and not isinstance(obj, type)
    return {
        f.name: json_safe(getattr(obj, f.name))
        for f in dataclasses.fields(obj)
        if f.name not in _SECRET_FIELDS and f.name not in _DERIVED_FIELDS
    }


def record(
    uow: UnitOfWork,
    *,
    actor: Actor,
    action: str,
    obj: object,
    now: datetime,
    before: dict[str, Any] | None = None,
    object_id: str | None = None,
) -> None:
    """Append an audit entry for ``obj``; only changed fields are kept when ``before`` is given.
    ``object_id`` names an object that has no ``id`` (a job run: its job)."""
    after = snapshot(obj)
    if before is not None:
        changed = {k for k in after if before.get(k) != after[k]}
        before = {k: before[k] for k in changed if k in before}
        after = {k: after[k] for k in changed}
    uow.audit.add(
        AuditEntry(
            actor=actor.name,
            action=action,
            object_type=type(obj).__name__.lower(),
            object_id=object_id if object_id is not None else str(getattr(obj, "id", "")),
            at=now,
            before=before or {},
            after=after,
        )
    )
