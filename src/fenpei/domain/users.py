"""People who log in, and what they may do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fenpei.domain.errors import PermissionDenied


class Role(StrEnum):
    admin = "admin"
    manager = "manager"
    rep = "rep"
    auditor = "auditor"


@dataclass(eq=False)
class User:
    username: str
    password_hash: str
    role: Role
    id: int | None = None
    display_name: str | None = None
    rep_id: int | None = None
    active: bool = True
    must_change_password: bool = False
    created_at: datetime | None = None
    # Signed into each session cookie; raising it ends every session the user has (logout,
    # a password change or reset, deactivation), on every device.
    session_version: int = 0
    language: str = "zh-CN"  # of the messages sent to the user: zh-CN or en


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user's name and role, or a system job ("system", admin rights).

    ``user_id`` and ``rep_id`` decide a rep's or a manager's data scope; ``scopes`` is set
    for API tokens (None: a session, limited by the role alone)."""

    name: str
    role: Role = Role.admin
    user_id: int | None = None
    rep_id: int | None = None
    scopes: frozenset[str] | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin


SYSTEM = Actor("system")

CHANGE_PASSWORD_PAGE = "/account/password"
CHANGE_PASSWORD_API = "/api/v1/account/password"


class PasswordChangeRequired(PermissionDenied):
    """The user logged in with a one-time password and must choose their own first."""

    code = "password_change_required"

    def __init__(self) -> None:
        super().__init__(
            "your password is a one-time password: choose your own first, on the page "
            f"{CHANGE_PASSWORD_PAGE} or with POST {CHANGE_PASSWORD_API} and a JSON body "
            '{"current_password": "…", "new_password": "…"}; then try again'
        )
