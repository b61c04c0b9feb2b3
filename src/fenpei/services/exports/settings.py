"""Whether reps may export: the admin's choice, saved; until then the configured default.

A rep's list is theirs to work; a file of it is theirs to take away. Many CRMs make export
a permission for that reason, so it is off for reps unless the admin turns it on (on the
exports page, or ``FENPEI_EXPORT_BY_REPS=true`` as the default). Admins, managers and
auditors always may; every export is audited either way.
"""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.audit import AuditEntry
from fenpei.domain.users import Actor
from fenpei.services import scope
from fenpei.services.ports import UnitOfWork


def reps_may_export(*, uow: UnitOfWork, default: bool) -> bool:
    """The admin's saved choice, or ``default`` while there is none."""
    saved = uow.exports.reps_may_export()
    return default if saved is None else saved


def set_reps_may_export(
    *, uow: UnitOfWork, actor: Actor, value: bool, default: bool, now: datetime
) -> None:
    """Let reps export their own customers, or stop them (admins only; audited)."""
    scope.require_admin(actor, "decide whether reps may export")
    before = reps_may_export(uow=uow, default=default)
    uow.exports.save_reps_may_export(value, by=actor.name, at=now)
    uow.audit.add(
        AuditEntry(
            actor=actor.name,
            action="update",
            object_type="export_settings",
            object_id="1",  # the one row
            at=now,
            before={"reps_may_export": before},
            after={"reps_may_export": value},
        )
    )
