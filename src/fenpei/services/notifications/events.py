"""What an ownership change writes to the outbox, in its own transaction."""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.assignments import Assignment
from fenpei.domain.customers import Customer
from fenpei.domain.events import EventType, new_event
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
