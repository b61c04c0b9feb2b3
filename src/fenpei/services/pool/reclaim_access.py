"""Who may see the reclaim dry run and run reclaim: admins everything; managers the
customers of the reps in their scope (dry run only)."""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.users import Actor
from fenpei.services import scope
from fenpei.services.pool.reclaim import Plan, dry_run
from fenpei.services.pool.terms import visible_pool
from fenpei.services.ports import UnitOfWork


def plan_for(*, uow: UnitOfWork, actor: Actor, now: datetime, pool: str | None = None) -> Plan:
    """The dry run as ``actor`` may see it (admins and managers: the customers of the reps
    in their scope), everything due counted, the earliest due listed first."""
    scope.require_writer(actor, "see what reclaim would take")
    if pool is not None:
        visible_pool(uow, actor, pool)  # NotFound if not theirs to see
    visible = scope.data_scope(uow=uow, actor=actor)
    owners = None if visible.rep_ids is None else frozenset(visible.rep_ids)
    return dry_run(uow=uow, now=now, pool=pool, owner_ids=owners)
