"""What the ownership-path tests share: the outcome a path promises (``Expected``) and the
small steps paths are built from. Paths call these through the module
(``ownership_world.customer``), so a test can swap one (the reclaim-clock test makes every
customer a path starts from look long owned)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from random import Random

import sqlalchemy as sa

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.domain.events import EventType
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.assignments import assign
from fenpei.services.customers import create_customer
from fenpei.services.intake import create_and_route
from tests.integration._routing_world import World, add_rule

# The events an owner change writes; others (customer.merged, a reminder) may come along.
OWNERSHIP_EVENTS = (EventType.assigned, EventType.reassigned, EventType.pooled)


@dataclass(frozen=True)
class Expected:
    """What the path changed: each customer's new owner (None: to a pool), the event type,
    and the last outbox event its setup wrote (the path's own events come after it)."""

    customer_ids: list[int]
    type: EventType
    to_rep_ids: list[int | None]
    after_event: int | None = None
    pool: str | None = None  # where a customer that went to a pool waits


def events(app: Fenpei) -> list[dict[str, object]]:
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(tables.outbox_events).order_by(tables.outbox_events.c.id)
        ).mappings()
        return [dict(row) for row in rows]


def last_event(app: Fenpei) -> int:
    """The id of the last outbox event so far (0: none): a path's setup ends here."""
    with app.engine.connect() as connection:
        return int(connection.scalar(sa.select(sa.func.max(tables.outbox_events.c.id))) or 0)


def customer(app: Fenpei, name: str, **fields: object) -> int:
    with app.uow() as uow:
        created = create_customer(
            uow=uow, fields={"name": name, **fields}, actor=SYSTEM, now=app.now()
        )
        uow.commit()
    assert created.id is not None
    return created.id


def arrives(app: Fenpei, name: str) -> int:
    """A new customer, created and routed in one transaction as /leads does."""
    with app.uow() as uow:
        created, _ = create_and_route(
            uow=uow,
            rulebook=app.rulebook,
            fields={"name": name},
            actor=SYSTEM,
            now=app.now(),
            rng=Random(1),
        )
        uow.commit()
    assert created.id is not None
    return created.id


def give(app: Fenpei, customer_id: int, rep_id: int, reason: str | None = None) -> None:
    with app.uow() as uow:
        assign(
            uow=uow,
            customer_id=customer_id,
            rep_id=rep_id,
            actor=SYSTEM,
            now=app.now(),
            reason=reason,
        )
        uow.commit()


def owned_by(app: Fenpei, world: World, name: str) -> int:
    customer_id = customer(app, name)
    give(app, customer_id, world.bob)
    return customer_id


def pooled(app: Fenpei, name: str) -> int:
    add_rule(app, name="Pool", conditions={}, target={"kind": "pool", "pool": "public"})
    return arrives(app, name)


def started(app: Fenpei, customer_id: int) -> None:
    """A customer a path starts from that did not come from ``customer`` or ``owned_by``
    (routed, pooled, synced): left as it is here; the reclaim-clock test swaps this for
    ``make_stale``."""


def as_rep(rep_id: int) -> Actor:
    return Actor(f"rep {rep_id}", Role.rep, rep_id=rep_id)


def make_stale(app: Fenpei, customer_id: int) -> None:
    """As an owner of long ago left it: given 31 days back, warned yesterday."""
    with app.engine.begin() as connection:
        connection.execute(
            sa.update(tables.customers)
            .where(tables.customers.c.id == customer_id)
            .values(
                assigned_at=app.now() - timedelta(days=31),
                reclaim_warned_at=app.now() - timedelta(days=1),
            )
        )
