"""The batch path through the database: one transaction for many, same rules, same limits."""

from __future__ import annotations

from collections import Counter
from random import Random

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.services import customers, org
from fenpei.services.routing_batch import route_customers
from tests.integration._routing_world import add_rule, build_world


def test_a_batch_alternates_until_a_rep_is_full_then_keeps_going(app: Fenpei) -> None:
    world = build_world(app)
    with app.uow() as uow:
        org.update_rep(
            uow=uow, rep_id=world.bob, fields={"max_open": 30}, actor=SYSTEM, now=app.now()
        )
        made = [
            customers.create_customer(
                uow=uow, fields={"name": f"C{i}", "region": "East"}, actor=SYSTEM, now=app.now()
            )
            for i in range(100)
        ]
        made.append(
            customers.create_customer(
                uow=uow, fields={"name": "Far", "region": "North"}, actor=SYSTEM, now=app.now()
            )
        )
        uow.commit()
    add_rule(
        app,
        name="East",
        conditions={"field": "region", "op": "eq", "value": "East"},
        target={"kind": "team", "team_id": world.east},
        fallback="queue",
    )

    outcomes = route_customers(
        uow_factory=app.uow,
        rulebook=app.rulebook,
        customer_ids=[c.id for c in made if c.id],
        actor=SYSTEM,
        now=app.now,
        rng=Random(3),
        batch_size=40,
    )

    assert outcomes == {"assigned": 100, "pool": 1, "queued": 0}
    with app.engine.connect() as connection:
        owners = Counter(connection.scalars(sa.select(t.customers.c.owner_id)).all())
        records = connection.execute(
            sa.select(
                t.assignments.c.method, t.assignments.c.to_rep_id, t.assignments.c.explanation
            )
        ).all()
        cursor = connection.scalar(
            sa.select(t.routing_state.c.state).where(t.routing_state.c.rule_id != 1)
        )
    assert owners[world.bob] == 30 and owners[world.alice] == 70 and owners[None] == 1
    assert len(records) == 101 and all(r.method == "rule" for r in records)
    assert all("text" in r.explanation for r in records)
    assert cursor == {"last_rep_id": world.alice, "last_rep_name": "Alice"}
