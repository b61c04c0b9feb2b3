"""What an ownership change or a timer writes to the outbox, in its own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from fenpei.domain.assignments import Assignment
from fenpei.domain.customers import Customer
from fenpei.domain.events import EventType, ReminderKind, new_event
from fenpei.services.ports import UnitOfWork


def ownership_event_type(record: Assignment) -> EventType:
    if record.to_rep_id is None:
        return EventType.pooled
    return EventType.assigned if record.from_rep_id is None else EventType.reassigned


def emit_ownership(
    uow: UnitOfWork, *, record: Assignment, customer: Customer, now: datetime
) -> None:
    """The event for an assignment record just written (every path that changes an owner
    writes one): sent only if the change commits, and then at least once."""
    uow.outbox.add(
        new_event(
            ownership_event_type(record),
            {
                "customer_id": record.customer_id,
                "customer_name": customer.name,
                "from_rep_id": record.from_rep_id,
                "to_rep_id": record.to_rep_id,
                "pool": customer.pool,
                "method": record.method.value,
                "rule_id": record.rule_id,
                "strategy": record.strategy,
                "reason": record.reason,
                "actor": record.actor,
                "at": record.at.isoformat(),
            },
            now=now,
        )
    )


def emit_reminder(
    uow: UnitOfWork,
    *,
    kind: ReminderKind,
    customer: Customer,
    now: datetime,
    rep_ids: Sequence[int] = (),
    user_ids: Sequence[int] = (),
    due: datetime | None = None,
    reason: str | None = None,
) -> None:
    """A reminder about ``customer`` to the users of ``rep_ids`` and to ``user_ids``
    (e.g. a manager without a rep): written with the change that caused it, sent once."""
    uow.outbox.add(
        new_event(
            EventType.reminder,
            {
                "kind": kind.value,
                "customer_id": customer.id,
                "customer_name": customer.name,
                "rep_ids": list(dict.fromkeys(rep_ids)),
                "user_ids": list(dict.fromkeys(user_ids)),
                "to_rep_id": customer.owner_id,
                "due": due.isoformat() if due is not None else None,
                "due_text": local_time(uow, customer.owner_id, due),
                "reason": reason,
                "at": now.isoformat(),
            },
            now=now,
        )
    )


def local_time(uow: UnitOfWork, rep_id: int | None, at: datetime | None) -> str | None:
    """``at`` as the owner reads it: their local time, their zone named
    (``2026-12-07 10:00 Asia/Shanghai``); UTC when there is no owner."""
    if at is None:
        return None
    rep = uow.reps.get(rep_id) if rep_id is not None else None
    zone = rep.time_zone if rep is not None else "UTC"
    return f"{at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"


def manager_user_ids(uow: UnitOfWork, team_id: int | None) -> list[int]:
    """Who manages a team: its manager, else the nearest ancestor team's (none if none)."""
    seen: set[int] = set()
    while team_id is not None and team_id not in seen:
        seen.add(team_id)
        team = uow.teams.get(team_id)
        if team is None:
            return []
        if team.manager_user_id is not None:
            return [team.manager_user_id]
        team_id = team.parent_id
    return []
