"""People who log in, and what they may do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user's name and role, or a system job ("system", admin rights)."""

    name: str
    role: Role = Role.admin

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin


SYSTEM = Actor("system")
