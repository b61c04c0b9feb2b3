"""Tasks from other features' warnings: an SLA breach (首次联系超时) or a reclaim warning
(回收预警) may also make a task for the customer's owner, so the work shows in their task
list with a due time and timers of its own. Each is an admin's setting, off by default.

The task is given to the owner (the warning is about their customer), high priority, due
when the warning says; its title is in the owner's language (a title is data, kept as
written)."""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.customers import Customer
from fenpei.domain.tasks import Task, TaskOrigin
from fenpei.domain.users import SYSTEM, Actor
from fenpei.services import scope
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput

WARNING_ORIGINS = (TaskOrigin.sla, TaskOrigin.reclaim)
_TITLES = {
    "zh-CN": {TaskOrigin.sla: "首次联系客户「{name}」（已超时）",
              TaskOrigin.reclaim: "跟进客户「{name}」，以免被收回公海"},
    "en": {TaskOrigin.sla: "Make first contact with “{name}” (overdue)",
           TaskOrigin.reclaim: "Follow up with “{name}” before it goes back to the pool"},
}  # fmt: skip


def origin_settings(uow: UnitOfWork) -> dict[TaskOrigin, bool]:
    """Whether each warning makes a task."""
    enabled = uow.task_timers.origins_enabled()
    return {origin: origin.value in enabled for origin in WARNING_ORIGINS}


def set_origin_settings(
    *, uow: UnitOfWork, actor: Actor, settings: dict[TaskOrigin, bool], now: datetime
) -> dict[TaskOrigin, bool]:
    """Switch tasks from warnings on or off (admins only)."""
    scope.require_admin(actor, "change where tasks come from")
    for origin, enabled in settings.items():
        if origin in WARNING_ORIGINS:
            uow.task_timers.set_origin(origin.value, enabled, by=actor.name, at=now)
    return origin_settings(uow)


def task_from_warning(
    uow: UnitOfWork,
    *,
    origin: TaskOrigin,
    customer: Customer,
    due: datetime | None,
    now: datetime,
    ref: str,
    titles: dict[str, str] | None = None,  # by language, instead of the origin's title
) -> Task | None:
    """The owner's task for this warning, if the setting is on and the customer has an
    owner; else None. The caller commits with the warning."""
    if customer.owner_id is None or customer.id is None:
        return None
    if origin.value not in uow.task_timers.origins_enabled():
        return None
    readers = uow.users.for_reps([customer.owner_id])
    language = readers[0].language if readers and readers[0].language in _TITLES else "zh-CN"
    template = (titles or {}).get(language) or _TITLES[language][origin]
    title = template.format(name=customer.name)[:200]
    data = TaskInput(title=title, priority="high", customer_ids=[customer.id], due_at=due,
                     origin=origin, origin_ref=ref)  # fmt: skip
    return create_and_route(uow=uow, actor=SYSTEM, data=data, now=now,
                            assignee_id=customer.owner_id)  # fmt: skip
