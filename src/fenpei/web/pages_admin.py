"""管理 (administration): teams, reps, users, API tokens and the audit log, one router.

Each area is its own module (``pages_admin_<area>``); this one only gathers them, so the
app registers administration in one line. ``/admin`` opens the first page one may use.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from fenpei.domain.users import Role
from fenpei.http.deps import CurrentUser
from fenpei.web import (
    pages_admin_audit,
    pages_admin_reps,
    pages_admin_teams,
    pages_admin_tokens,
    pages_admin_users,
)

router = APIRouter(include_in_schema=False)
for area in (
    pages_admin_teams,
    pages_admin_reps,
    pages_admin_users,
    pages_admin_tokens,
    pages_admin_audit,
):
    router.include_router(area.router)

_FIRST_PAGE = {
    Role.admin: "/admin/teams",
    Role.manager: "/admin/reps",
    Role.auditor: "/admin/audit",
}


@router.get("/admin")
def admin_home(user: CurrentUser) -> RedirectResponse:
    """The first administration page this user may use (a rep: their own API tokens)."""
    return RedirectResponse(_FIRST_PAGE.get(user.role, "/admin/tokens"), status_code=303)
