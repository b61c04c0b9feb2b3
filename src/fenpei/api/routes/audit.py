"""The audit log (审计日志): who changed what and when; for admins and auditors only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from fenpei.api.schemas import AuditEntryRead, ErrorRead
from fenpei.domain.errors import PermissionDenied, ValidationFailed
from fenpei.domain.users import Role, User
from fenpei.http.deps import CurrentUser, UowDep
from fenpei.http.fields import BoundedDateTime, FilterText

FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Logged in, but neither an admin nor an auditor."}
}
router = APIRouter(prefix="/audit", tags=["audit"])
_MAY_READ = (Role.admin, Role.auditor)
# The repository filters by object only; actor and time are filtered here, over at most
# this many of the newest entries matching the object filter, so a request stays bounded.
SCAN_LIMIT = 5000


def require_auditor(user: CurrentUser) -> User:
    if user.role not in _MAY_READ:
        raise PermissionDenied("only an admin or an auditor may read the audit log")
    return user


AuditorUser = Annotated[User, Depends(require_auditor)]


@router.get("", responses=FORBIDDEN)
def list_audit(
    uow: UowDep,
    user: AuditorUser,
    object_type: Annotated[FilterText | None, Query(description="e.g. `customer`.")] = None,
    object_id: Annotated[FilterText | None, Query(description="The object's id.")] = None,
    actor: Annotated[FilterText | None, Query(description="Username that acted.")] = None,
    since: Annotated[
        BoundedDateTime | None, Query(description="At or after (with a zone).")
    ] = None,
    until: Annotated[BoundedDateTime | None, Query(description="Before (exclusive).")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntryRead]:
    """The newest entries first, filtered by object, actor and time."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed.one(name, "needs a time zone, e.g. 2026-01-31T09:00:00+08:00")
    if since and until and until <= since:
        raise ValidationFailed.one("until", "must be after since")
    filtered = actor is not None or since is not None or until is not None
    entries = uow.audit.find(
        object_type=object_type, object_id=object_id, limit=SCAN_LIMIT if filtered else limit
    )
    found = [
        e
        for e in entries
        if (actor is None or e.actor == actor)
        and (since is None or e.at >= since)
        and (until is None or e.at < until)
    ]
    return [AuditEntryRead.model_validate(e) for e in found[:limit]]
