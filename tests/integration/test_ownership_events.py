"""Every path that changes a customer's owner writes exactly one ownership event to the
outbox per change, in the same transaction, on SQLite and PostgreSQL, and restarts the
reclaim clock: rule on arrival, rule to the pool, by hand, transfer, bulk to one rep, bulk
spread, file import (CLI), queue retry, batch routing, claim from the pool, return to it,
reclaim, dynamic re-routing, and (tests/integration/_ownership_paths.py) a manager's push
from a pool, a move between pools, the SLA reassignment, a merge and its undo, the CRM
sync (a pull, the bridge's webhook), a signed webhook lead, a pool redistribution and a
browser import run by the worker. A change that rolls back leaves no event.

``PATHS`` is shared: test_sla_db.py (the new owner's SLA clock starts), test_rep_loads.py
(the load counters follow the records) and test_ownership_notifications.py (the reps
concerned are told in their inbox) run every path too. Other events a path writes (a
merge's ``customer.merged``, an SLA reminder) are not counted here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from random import Random

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.cli.main import app as cli
from fenpei.domain.events import EventType
from fenpei.domain.users import SYSTEM
from fenpei.services import rules
from fenpei.services.assignments import assign, bulk_assign
from fenpei.services.pool.claims import claim, return_to_pool
from fenpei.services.pool.reclaim import reclaim
from fenpei.services.pool.terms import set_terms
from fenpei.services.routing_batch import route_customers, route_queued
from fenpei.services.routing_reroute import update_customer_and_reroute
from tests.integration import _ownership_paths as paths
from tests.integration import _ownership_world as ow
from tests.integration._ownership_world import Expected
from tests.integration._routing_world import World, add_rule, build_world


def _rule_on_arrival(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    add_rule(app, name="East", conditions={}, target={"kind": "reps", "rep_ids": [world.alice]})
    customer_id = ow.arrives(app, "Arrives")
    return Expected([customer_id], EventType.assigned, [world.alice])


def _rule_to_pool(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    add_rule(app, name="Pool", conditions={}, target={"kind": "pool", "pool": "公海"})
    customer_id = ow.arrives(app, "Pooled")
    return Expected([customer_id], EventType.pooled, [None], pool="公海")


def _by_hand(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    customer_id = ow.customer(app, "By hand")
    ow.give(app, customer_id, world.carol)
    return Expected([customer_id], EventType.assigned, [world.carol])


def _transfer(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    customer_id = ow.owned_by(app, world, "Transferred")
    setup = ow.last_event(app)
    ow.give(app, customer_id, world.carol, reason="Bob moved to key accounts")
    return Expected([customer_id], EventType.reassigned, [world.carol], setup)


def _bulk(app: Fenpei, world: World, tmp_path: Path, *, reps: list[int]) -> Expected:
    ids = [ow.customer(app, f"Bulk {n}") for n in range(4)]
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
    customer_id = ow.arrives(app, "Waited")
    assert not ow.events(app), "queueing is no change of owner"
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
    ids = [ow.customer(app, f"Batch {n}") for n in range(3)]
    route_customers(
        uow_factory=app.uow,
        rulebook=app.rulebook,
        customer_ids=ids,
        actor=SYSTEM,
        now=app.now,
        rng=Random(1),
    )
    return Expected(ids, EventType.assigned, [world.alice] * 3)


def _claim(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    customer_id = ow.pooled(app, "Claimed")
    ow.started(app, customer_id)
    setup = ow.last_event(app)
    with app.uow() as uow:
        claim(uow=uow, customer_id=customer_id, actor=ow.as_rep(world.bob), now=app.now())
        uow.commit()
    return Expected([customer_id], EventType.assigned, [world.bob], setup)


def _return(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    customer_id = ow.owned_by(app, world, "Returned")
    setup = ow.last_event(app)
    with app.uow() as uow:
        return_to_pool(
            uow=uow, customer_id=customer_id, reason="unreachable", actor=ow.as_rep(world.bob),
            now=app.now(),
        )  # fmt: skip
        uow.commit()
    return Expected([customer_id], EventType.pooled, [None], setup, pool="public")


def _reclaim(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    customer_id = ow.owned_by(app, world, "Reclaimed")
    setup = ow.last_event(app)
    with app.uow() as uow:
        set_terms(
            uow=uow, key="public", fields={"reclaim_enabled": True, "not_won_days": 30},
            actor=SYSTEM, now=app.now(),
        )  # fmt: skip
        uow.commit()
    ow.make_stale(app, customer_id)
    reclaim(uow_factory=app.uow, now=app.now())
    return Expected([customer_id], EventType.pooled, [None], setup, pool="public")


def _reroute(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    """Dynamic re-routing (动态分配): an edit makes a rule's trigger true."""
    add_rule(
        app, name="Hot to Carol", conditions={}, target={"kind": "reps", "rep_ids": [world.carol]},
        reroute={"when": {"field": "level", "op": "eq", "value": "A"}, "min_days": 7},
    )  # fmt: skip
    customer_id = ow.owned_by(app, world, "Rerouted")
    setup = ow.last_event(app)
    with app.uow() as uow:
        update_customer_and_reroute(
            uow=uow, rulebook=app.rulebook, customer_id=customer_id, fields={"level": "A"},
            actor=SYSTEM, now=app.now(), rng=Random(1),
        )  # fmt: skip
        uow.commit()
    return Expected([customer_id], EventType.reassigned, [world.carol], setup)


# Every caller of ``assignments.give`` / ``release`` (and the reclaim batch, which does
# their work in bulk) is here. Not here: the Maven CRM history import, which writes owners
# and assignment records as the source data had them long ago: a past, not a change, so
# nobody is told and no clock starts (test_rep_loads.py checks its counts); an edit, which
# refuses ``owner_id``; deleting a customer, which leaves its owner as it was (its SLA
# clock stops: test_sla_db.py).
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
    "push from the pool": paths.push,
    "move between pools": paths.move_between_pools,
    "SLA reassignment": paths.sla_reassignment,
    "merge": paths.merge,
    "merge undone": paths.merge_undone,
    "CRM sync pull": paths.crm_pull,
    "CRM bridge webhook": paths.crm_bridge,
    "webhook lead": paths.webhook_lead,
    "pool redistribution": paths.redistribution,
    "browser import (worker)": paths.import_upload,
}


@pytest.mark.parametrize("path", list(PATHS))
def test_each_ownership_path_writes_one_event_per_change(
    app: Fenpei, tmp_path: Path, path: str
) -> None:
    world = build_world(app)
    before = ow.last_event(app)

    expected = PATHS[path](app, world, tmp_path)

    since = expected.after_event if expected.after_event is not None else before
    events = [
        e for e in ow.events(app) if e["id"] > since and e["type"] in ow.OWNERSHIP_EVENTS
    ]  # fmt: skip
    assert [e["type"] for e in events] == [expected.type] * len(expected.customer_ids)
    assert sorted(e["payload"]["customer_id"] for e in events) == sorted(expected.customer_ids)
    by_customer = {e["payload"]["customer_id"]: e["payload"] for e in events}
    assert [by_customer[c]["to_rep_id"] for c in expected.customer_ids] == expected.to_rep_ids
    if expected.pool is not None:  # the pool each waits in now is recorded with its event
        assert {by_customer[c]["pool"] for c in expected.customer_ids} == {expected.pool}
    assert len({e["key"] for e in events}) == len(events), "each event has its own dedupe key"


@pytest.mark.parametrize("path", list(PATHS))
def test_each_ownership_path_restarts_the_reclaim_clock(
    app: Fenpei, tmp_path: Path, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every customer a path starts from looks long owned and already warned; after the
    path, whoever owns it got it now (the reclaim clock restarts) and no warning stands."""
    world = build_world(app)
    made, owned = ow.customer, ow.owned_by

    def stale_customer(app: Fenpei, name: str, **fields: object) -> int:
        customer_id = made(app, name, **fields)
        ow.make_stale(app, customer_id)
        return customer_id

    def stale_owned(app: Fenpei, world: World, name: str) -> int:
        customer_id = owned(app, world, name)
        ow.make_stale(app, customer_id)
        return customer_id

    monkeypatch.setattr(ow, "customer", stale_customer)
    monkeypatch.setattr(ow, "owned_by", stale_owned)
    monkeypatch.setattr(ow, "started", ow.make_stale)

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
    customer_id = ow.customer(app, "Undecided")
    with app.uow() as uow:
        assign(uow=uow, customer_id=customer_id, rep_id=world.carol, actor=SYSTEM, now=app.now())
        # no commit: the request failed after the assignment

    assert ow.events(app) == []
