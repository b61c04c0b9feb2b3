"""Every path that changes a customer's owner writes exactly one event to the outbox, in the
same transaction, on SQLite and PostgreSQL: rule on arrival, rule to the pool, by hand,
transfer, bulk to one rep, bulk spread, file import, queue retry, batch routing, webhook
lead, claim from the pool, return to it, reclaim, dynamic re-routing. A change that rolls
back leaves no event."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from random import Random

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.cli.main import app as cli
from fenpei.domain.events import EventType
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import rules
from fenpei.services.assignments import assign, bulk_assign
from fenpei.services.customers import create_customer
from fenpei.services.intake import create_and_route
from fenpei.services.pool.claims import claim, return_to_pool
from fenpei.services.pool.reclaim import reclaim
from fenpei.services.pool.terms import set_terms
from fenpei.services.routing_batch import route_customers, route_queued
from fenpei.services.routing_reroute import update_customer_and_reroute
from tests.integration._routing_world import World, add_rule, build_world


@dataclass(frozen=True)
class Expected:
    customer_ids: list[int]
    type: EventType
    to_rep_ids: list[int | None]


def _events(app: Fenpei) -> list[dict[str, object]]:
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(tables.outbox_events).order_by(tables.outbox_events.c.id)
        ).mappings()
        return [dict(row) for row in rows]


def _customer(app: Fenpei, name: str) -> int:
    with app.uow() as uow:
        created = create_customer(uow=uow, fields={"name": name}, actor=SYSTEM, now=app.now())
        uow.commit()
    assert created.id is not None
    return created.id


def _arrives(app: Fenpei, name: str) -> int:
    """A new customer, created and routed in one transaction as /leads does."""
    with app.uow() as uow:
        customer, _ = create_and_route(
            uow=uow,
            rulebook=app.rulebook,
            fields={"name": name},
            actor=SYSTEM,
            now=app.now(),
            rng=Random(1),
        )
        uow.commit()
    assert customer.id is not None
    return customer.id


def _give(app: Fenpei, customer_id: int, rep_id: int, reason: str | None = None) -> None:
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


def _owned_by(app: Fenpei, world: World, name: str) -> int:
    customer_id = _customer(app, name)
    _give(app, customer_id, world.bob)
    return customer_id


def _rule_on_arrival(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    add_rule(app, name="East", conditions={}, target={"kind": "reps", "rep_ids": [world.alice]})
    customer_id = _arrives(app, "Arrives")
    return Expected([customer_id], EventType.assigned, [world.alice])


def _rule_to_pool(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    add_rule(app, name="Pool", conditions={}, target={"kind": "pool", "pool": "公海"})
    customer_id = _arrives(app, "Pooled")
    return Expected([customer_id], EventType.pooled, [None])


def _by_hand(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    customer_id = _customer(app, "By hand")
    _give(app, customer_id, world.carol)
    return Expected([customer_id], EventType.assigned, [world.carol])


def _transfer(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    customer_id = _owned_by(app, world, "Transferred")
    _give(app, customer_id, world.carol, reason="Bob moved to key accounts")
    return Expected([customer_id], EventType.reassigned, [world.carol])


def _bulk(app: Fenpei, world: World, tmp_path: Path, *, reps: list[int]) -> Expected:
    ids = [_customer(app, f"Bulk {n}") for n in range(4)]
    with app.uow() as uow:
        records = bulk_assign(uow=uow, customer_ids=ids, rep_ids=reps, actor=SYSTEM, now=app.now())
        uow.commit()
    return Expected(ids, EventType.assigned, [r.to_rep_id for r in records])


def _bulk_one(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    return _bulk(app, world, tmp_path, reps=[world.dan])


def _spread(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    return _bulk(app, world, tmp_path, reps=[world.alice, world.dan])


def _import(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    add_rule(app, name="West", conditions={}, target={"kind": "reps", "rep_ids": [world.dan]})
    csv = tmp_path / "leads.csv"
    csv.write_text("name,phone\nImported one,13800000001\nImported two,13800000002\n")
    url = app.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        cli, ["import", "customers", str(csv)], env={"FENPEI_DATABASE_URL": url}
    )
    assert result.exit_code == 0, result.output
    with app.engine.connect() as connection:
        c = tables.customers.c
        ids = list(connection.scalars(sa.select(c.id).where(c.name.like("Imported%"))))
    return Expected(sorted(ids), EventType.assigned, [world.dan, world.dan])


def _queue_retry(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    rule = add_rule(app, name="Nobody yet", conditions={}, target={"kind": "queue"})
    customer_id = _arrives(app, "Waited")
    assert not _events(app), "queueing is no change of owner"
    with app.uow() as uow:
        target = {"kind": "reps", "rep_ids": [world.carol]}
        rules.update_rule(
            uow=uow, rule_id=rule, fields={"target": target}, actor=SYSTEM, now=app.now()
        )
        uow.commit()
    route_queued(
        uow_factory=app.uow, rulebook=app.rulebook, actor=SYSTEM, now=app.now, rng=Random(1)
    )
    return Expected([customer_id], EventType.assigned, [world.carol])


def _batch(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    add_rule(app, name="East", conditions={}, target={"kind": "reps", "rep_ids": [world.alice]})
    ids = [_customer(app, f"Batch {n}") for n in range(3)]
    route_customers(
        uow_factory=app.uow,
        rulebook=app.rulebook,
        customer_ids=ids,
        actor=SYSTEM,
        now=app.now,
        rng=Random(1),
    )
    return Expected(ids, EventType.assigned, [world.alice] * 3)


def _pooled(app: Fenpei, name: str) -> int:
    add_rule(app, name="Pool", conditions={}, target={"kind": "pool", "pool": "public"})
    return _arrives(app, name)


def _as_rep(rep_id: int) -> Actor:
    return Actor(f"rep {rep_id}", Role.rep, rep_id=rep_id)


def _claim(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    customer_id = _pooled(app, "Claimed")
    with app.uow() as uow:
        claim(uow=uow, customer_id=customer_id, actor=_as_rep(world.bob), now=app.now())
        uow.commit()
    return Expected([customer_id], EventType.assigned, [world.bob])


def _return(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    customer_id = _owned_by(app, world, "Returned")
    with app.uow() as uow:
        return_to_pool(
            uow=uow, customer_id=customer_id, reason="unreachable", actor=_as_rep(world.bob),
            now=app.now(),
        )  # fmt: skip
        uow.commit()
    return Expected([customer_id], EventType.pooled, [None])


def _reclaim(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    customer_id = _owned_by(app, world, "Reclaimed")
    with app.uow() as uow:
        set_terms(
            uow=uow, key="public", fields={"reclaim_enabled": True, "not_won_days": 30},
            actor=SYSTEM, now=app.now(),
        )  # fmt: skip
        uow.commit()
    _make_stale(app, customer_id)
    reclaim(uow_factory=app.uow, now=app.now())
    return Expected([customer_id], EventType.pooled, [None])


def _reroute(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    """Dynamic re-routing (动态分配): an edit makes a rule's trigger true."""
    add_rule(
        app, name="Hot to Carol", conditions={}, target={"kind": "reps", "rep_ids": [world.carol]},
        reroute={"when": {"field": "level", "op": "eq", "value": "A"}, "min_days": 7},
    )  # fmt: skip
    customer_id = _owned_by(app, world, "Rerouted")
    with app.uow() as uow:
        update_customer_and_reroute(
            uow=uow, rulebook=app.rulebook, customer_id=customer_id, fields={"level": "A"},
            actor=SYSTEM, now=app.now(), rng=Random(1),
        )  # fmt: skip
        uow.commit()
    return Expected([customer_id], EventType.reassigned, [world.carol])


def _make_stale(app: Fenpei, customer_id: int) -> None:
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


PATHS: dict[str, Callable[[Fenpei, World, Path], Expected]] = {
    "rule on arrival": _rule_on_arrival,
    "rule to the pool": _rule_to_pool,
    "by hand": _by_hand,
    "transfer": _transfer,
    "bulk to one rep": _bulk_one,
    "bulk spread": _spread,
    "file import": _import,
    "queue retry": _queue_retry,
    "batch routing": _batch,
    "claim from the pool": _claim,
    "return to the pool": _return,
    "reclaim": _reclaim,
    "reroute": _reroute,
}


@pytest.mark.parametrize("path", list(PATHS))
def test_each_ownership_path_writes_one_event_per_change(
    app: Fenpei, tmp_path: Path, path: str
) -> None:
    world = build_world(app)
    setup_events = len(_events(app))

    expected = PATHS[path](app, world, tmp_path)

    events = _events(app)[setup_events:]
    if path in ("transfer", "return to the pool", "claim from the pool", "reclaim", "reroute"):
        events = events[1:]  # the first one is the setup's: to Bob, or into the pool
    assert [e["type"] for e in events] == [expected.type] * len(expected.customer_ids)
    assert sorted(e["payload"]["customer_id"] for e in events) == sorted(expected.customer_ids)
    by_customer = {e["payload"]["customer_id"]: e["payload"]["to_rep_id"] for e in events}
    assert [by_customer[c] for c in expected.customer_ids] == expected.to_rep_ids
    assert len({e["key"] for e in events}) == len(events), "each event has its own dedupe key"


@pytest.mark.parametrize("path", list(PATHS))
def test_each_ownership_path_restarts_the_reclaim_clock(
    app: Fenpei, tmp_path: Path, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every customer a path starts from looks long owned and already warned; after the
    path, whoever owns it got it now (the reclaim clock restarts) and no warning stands."""
    world = build_world(app)
    module = sys.modules[__name__]
    made, owned = module._customer, module._owned_by

    def stale_customer(app: Fenpei, name: str) -> int:
        customer_id = made(app, name)
        _make_stale(app, customer_id)
        return customer_id

    def stale_owned(app: Fenpei, world: World, name: str) -> int:
        customer_id = owned(app, world, name)
        _make_stale(app, customer_id)
        return customer_id

    monkeypatch.setattr(module, "_customer", stale_customer)
    monkeypatch.setattr(module, "_owned_by", stale_owned)

    expected = PATHS[path](app, world, tmp_path)

    c = tables.customers.c
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(c.owner_id, c.assigned_at, c.reclaim_warned_at).where(
                c.id.in_(expected.customer_ids)
            )
        ).all()
    assert len(rows) == len(expected.customer_ids)
    for owner_id, assigned_at, warned_at in rows:
        assert warned_at is None
        if owner_id is not None:  # the CLI import runs on the real clock: later still
            assert assigned_at >= app.now()


def test_a_change_that_rolls_back_leaves_no_event(app: Fenpei) -> None:
    world = build_world(app)
    customer_id = _customer(app, "Undecided")
    with app.uow() as uow:
        assign(uow=uow, customer_id=customer_id, rep_id=world.carol, actor=SYSTEM, now=app.now())
        # no commit: the request failed after the assignment

    assert _events(app) == []
