"""Reading the audit log (审计日志): filtered by actor, object, action and time, in pages.

Admins and auditors only. The database filters, counts and pages, so every match is found
however old, and a page reads only its own rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fenpei.domain.audit import AuditEntry
from fenpei.domain.errors import PermissionDenied, ValidationFailed
from fenpei.domain.users import Actor, Role
from fenpei.services.ports import UnitOfWork

READERS = frozenset({Role.admin, Role.auditor})


@dataclass(frozen=True)
class AuditFilter:
    """What to look for; None (or empty) means any."""

    actor: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    """One page of matching entries, newest first, with how many matched in all."""

    items: list[AuditEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def require_reader(actor: Actor) -> None:
    """PermissionDenied unless ``actor`` is an admin or an auditor."""
    if actor.role not in READERS:
        raise PermissionDenied("only an admin or an auditor may read the audit log")


def _check_times(since: datetime | None, until: datetime | None) -> None:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed.one(name, "needs a time zone, e.g. 2026-01-31T09:00:00+08:00")
    if since and until and until <= since:
        raise ValidationFailed.one("until", "must be after since")


def find_entries(
    *, uow: UnitOfWork, actor: Actor, where: AuditFilter, page: int = 1, per_page: int = 50
) -> AuditPage:
    """The entries matching ``where``, newest first, one page of them."""
    require_reader(actor)
    _check_times(where.since, where.until)
    items, total = uow.audit.search(
        actor=where.actor or None,
        object_type=where.object_type or None,
        object_id=where.object_id or None,
        action=where.action or None,
        since=where.since,
        until=where.until,
        offset=(page - 1) * per_page,
        limit=per_page,
    )
    return AuditPage(items=items, total=total, page=page, per_page=per_page)
