"""Notification preferences (通知偏好): yours (which events are emailed to you, quiet hours)
and, for admins, each role's default. Tagged ``notifications``: an API token needs
``notifications:read`` / ``notifications:write``, like the inbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from fenpei.api.preference_schemas import (
    PreferencesRead,
    PreferencesUpdate,
    RoleDefaultRead,
    RoleDefaultUpdate,
)
from fenpei.api.schemas import ErrorRead
from fenpei.domain.users import Role
from fenpei.http.deps import AdminActor, CurrentActor, FenpeiDep, UowDep
from fenpei.services.notifications import preferences

account_router = APIRouter(prefix="/account", tags=["notifications"])
defaults_router = APIRouter(prefix="/notification-defaults", tags=["notifications"])

INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorRead, "description": "An unknown event type or a bad time, by field."},
}
ADMINS_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Logged in, but not an admin."},
    404: {"model": ErrorRead, "description": "A path the input guard refuses (e.g. a NUL)."},
}
RoleParam = Annotated[Role, Path(description="admin, manager, rep or auditor.")]


@account_router.get("/notifications")
def get_my_preferences(uow: UowDep, actor: CurrentActor) -> PreferencesRead:
    """Your notification preferences as they apply now."""
    return PreferencesRead.model_validate(preferences.own_preferences(uow=uow, actor=actor))


@account_router.put("/notifications", responses=INVALID)
def put_my_preferences(
    body: PreferencesUpdate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> PreferencesRead:
    """Replace your preferences: every field, absent ones as null."""
    view = preferences.set_own_preferences(
        uow=uow,
        actor=actor,
        email_events=body.email_events,
        quiet_start=body.quiet_start,
        quiet_end=body.quiet_end,
        digest=body.digest,
        now=fenpei.now(),
    )
    uow.commit()
    return PreferencesRead.model_validate(view)


@defaults_router.get("/{role}", responses=ADMINS_ONLY)
def get_role_default(role: RoleParam, uow: UowDep, actor: AdminActor) -> RoleDefaultRead:
    """The events a role's users get by email until they choose (admins only)."""
    return RoleDefaultRead.model_validate(preferences.role_default(uow=uow, actor=actor, role=role))


@defaults_router.put("/{role}", responses={**ADMINS_ONLY, **INVALID})
def put_role_default(
    role: RoleParam, body: RoleDefaultUpdate, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> RoleDefaultRead:
    """Set a role's default email events (admins only); audited."""
    view = preferences.set_role_default(
        uow=uow, actor=actor, role=role, email_events=body.email_events, now=fenpei.now()
    )
    uow.commit()
    return RoleDefaultRead.model_validate(view)
