"""batch_optimal through the database (SQLite and PostgreSQL): a routed batch placed
together, nobody above capacity, every assignment recorded with its event; a pool
redistributed after a dry run."""

from __future__ import annotations

from collections import Counter
from random import Random

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.scoring import ModelKind, ScoreModel
from fenpei.domain.users import SYSTEM
from fenpei.engine.scoring import loading
from fenpei.services import customers, org
from fenpei.services.routing_batch import route_customers
from fenpei.services.routing_optimal import redistribute_pool
from tests.integration._routing_world import add_rule, build_world
from tests.services.test_routing_optimal import _table

EAST = {"field": "region", "op": "eq", "value": "East"}


@pytest.fixture(autouse=True)
def _test_algorithm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(loading.ALGORITHMS, "test_table", _table)


def _activate(app: Fenpei, p: dict[int, float]) -> None:
    with app.uow() as uow:
        params = {"algorithm": "test_table", "p": {str(k): v for k, v in p.items()}}
        model = ScoreModel(kind=ModelKind.affinity, version=1, name="t", params=params)
        uow.score_models.add(model)
        uow.score_models.activate(model, at=app.now())
        uow.commit()


def _new(app: Fenpei, n: int, region: str) -> list[int]:
    with app.uow() as uow:
        made = [
            customers.create_customer(
                uow=uow, fields={"name": f"C{i}", "region": region}, actor=SYSTEM, now=app.now()
            ).id
            or 0
            for i in range(n)
        ]
        uow.commit()
    return made


def test_a_batch_by_batch_optimal_fills_the_likelier_rep_to_capacity_and_records_all(
    app: Fenpei,
) -> None:
    world = build_world(app)
    with app.uow() as uow:
        org.update_rep(
            uow=uow, rep_id=world.bob, fields={"max_open": 30}, actor=SYSTEM, now=app.now()
        )
        uow.commit()
    _activate(app, {world.alice: 0.3, world.bob: 0.6})
    rule = add_rule(
        app,
        name="Smart East",
        conditions=EAST,
        strategy="batch_optimal",
        target={"kind": "team", "team_id": world.east},
        fallback="queue",
    )
    made = _new(app, 100, "East")

    outcomes = route_customers(
        uow_factory=app.uow,
        rulebook=app.rulebook,
        customer_ids=made,
        actor=SYSTEM,
        now=app.now,
        rng=Random(3),
        batch_size=60,
    )

    assert outcomes == {"assigned": 100, "pool": 0, "queued": 0}
    with app.engine.connect() as connection:
        owners = Counter(connection.scalars(sa.select(t.customers.c.owner_id)).all())
        records = connection.execute(
            sa.select(
                t.assignments.c.to_rep_id,
                t.assignments.c.strategy,
                t.assignments.c.rule_id,
                t.assignments.c.explanation,
            )
        ).all()
        events = connection.scalar(sa.select(sa.func.count()).select_from(t.outbox_events))
    assert owners == {world.bob: 30, world.alice: 70}  # Bob first, never above 30
    assert len(records) == 100
    assert {(r.strategy, r.rule_id) for r in records} == {("batch_optimal", rule)}
    full = [r for r in records if r.explanation["reason_params"]["why"] == "full"]
    # The first batch of 60 fills Bob and says so for Alice's 30; in the second Bob is no
    # longer eligible (full), so Alice is simply the best left.
    assert len(full) == 30 and {r.to_rep_id for r in full} == {world.alice}
    assert "Bob (p 0.60) was full in this batch; Alice (p 0.30)" in full[0].explanation["text"]
    assert events and events >= 100


def test_a_pool_is_redistributed_after_a_dry_run(app: Fenpei) -> None:
    world = build_world(app)
    with app.uow() as uow:
        org.update_rep(
            uow=uow, rep_id=world.carol, fields={"max_open": 2}, actor=SYSTEM, now=app.now()
        )
        uow.commit()
    _activate(app, {world.carol: 0.8, world.dan: 0.4})
    west = add_rule(
        app,
        name="West",
        conditions={"field": "region", "op": "eq", "value": "West"},
        target={"kind": "team", "team_id": world.west},
    )
    waiting = _new(app, 5, "North")  # no rule for North: the default rule pools them
    route_customers(
        uow_factory=app.uow,
        rulebook=app.rulebook,
        customer_ids=waiting,
        actor=SYSTEM,
        now=app.now,
        rng=Random(1),
    )

    def run(dry_run: bool) -> object:
        with app.uow() as uow:
            done = redistribute_pool(
                uow=uow,
                rulebook=app.rulebook,
                pool="public",
                rule_id=west,
                actor=SYSTEM,
                now=app.now(),
                rng=Random(0),
                dry_run=dry_run,
            )
            uow.commit()
        return done

    preview = run(True)
    with app.engine.connect() as connection:
        still = connection.scalar(sa.select(sa.func.count()).where(t.customers.c.pool == "public"))
    done = run(False)

    assert preview.placed == done.placed == {world.carol: 2, world.dan: 3}  # type: ignore[attr-defined]
    assert still == 5
    with app.engine.connect() as connection:
        owners = Counter(connection.scalars(sa.select(t.customers.c.owner_id)).all())
    assert owners == {world.carol: 2, world.dan: 3}
