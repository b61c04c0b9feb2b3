"""The caller's own account: replacing their password (a one-time one first of all)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from fenpei.api.schemas import ErrorRead
from fenpei.http.deps import AccountPrincipal, FenpeiDep, UowDep, actor_of, issue_session_cookie
from fenpei.services import users

RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorRead,
        "description": "`current_password` is wrong, or `new_password` is too short or long.",
    },
}
# Tagged "users": an API token needs the users:write scope to change its user's password.
router = APIRouter(prefix="/account", tags=["users"])


class PasswordUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=users.MAX_PASSWORD_LENGTH)
    new_password: str = Field(
        max_length=users.MAX_PASSWORD_LENGTH,
        description=f"At least {users.MIN_PASSWORD_LENGTH} characters, not the current one.",
    )


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT, responses=RESPONSES)
def change_password(
    body: PasswordUpdate,
    uow: UowDep,
    fenpei: FenpeiDep,
    principal: AccountPrincipal,
    response: Response,
) -> None:
    """Replace your password, giving the current one. A one-time password (from
    `fenpei users create` or `reset-password`) must be replaced before anything else
    answers: until then every other request of the session is 403 `password_change_required`.

    Every session you had ends, on every device. Called with the session cookie, the
    answer sets a new one, so this client stays logged in; its CSRF token changes with it
    (read it again from a page's `<meta name="csrf-token">`). API tokens keep working."""
    user = users.change_own_password(
        uow=uow,
        hasher=fenpei.hasher,
        actor=actor_of(principal.user, principal.token),
        current_password=body.current_password,
        new_password=body.new_password,
        now=fenpei.now(),
    )
    uow.commit()
    if principal.token is None:
        issue_session_cookie(response, fenpei, user)
