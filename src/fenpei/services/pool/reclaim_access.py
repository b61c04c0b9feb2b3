"""Who may see the reclaim dry run and run reclaim: admins everything; managers the
customers of the reps in their scope (dry run only)."""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.users import Actor
from fenpei.services import scope
from fenpei.services.pool.reclaim import PlanItem, plan
from fenpei.services.pool.terms import visible_pool
from fenpei.services.ports import UnitOfWork


def plan_for(
    *, uow: UnitOfWork, actor: Actor, now: datetime, pool: str | None = None
) -> list[PlanItem]:
    """The dry run as ``actor`` may see it (admins and managers)."""
    scope.require_writer(actor, "see what reclaim would take")
    if pool is not None:
        visible_pool(uow, actor, pool)  # NotFound if not theirs to see
    visible = scope.data_scope(uow=uow, actor=actor)
    items = plan(uow=uow, now=now, pool=pool)
    if visible.rep_ids is None:
        return items
    return [item for item in items if item.owner_id in visible.rep_ids]
