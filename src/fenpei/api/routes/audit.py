"""The audit log (审计日志): who changed what and when; for admins and auditors only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from fenpei.api.schemas import AuditEntryRead, ErrorRead
from fenpei.domain.users import User
from fenpei.http.deps import CurrentUser, UowDep, actor_of
from fenpei.http.fields import BoundedDateTime, FilterText
from fenpei.services.audit_log import AuditFilter, find_entries, require_reader

FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Logged in, but neither an admin nor an auditor."}
}
router = APIRouter(prefix="/audit", tags=["audit"])


def require_auditor(user: CurrentUser) -> User:
    require_reader(actor_of(user))
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
    where = AuditFilter(
        actor=actor, object_type=object_type, object_id=object_id, since=since, until=until
    )
    found = find_entries(uow=uow, actor=actor_of(user), where=where, per_page=limit)
    return [AuditEntryRead.model_validate(e) for e in found.items]
