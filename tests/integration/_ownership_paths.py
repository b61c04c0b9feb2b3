"""More paths that change an owner, for ``test_ownership_events.PATHS``: a manager's push
from a pool, a move between pools, the SLA reassignment, a merge and its undo, the CRM
sync (a Zoho pull and the bridge's webhook), a signed webhook lead, a pool
redistribution and an import uploaded in the browser, run by the worker. Each performs
the path as the product does and says what it changed (``Expected``)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from random import Random

import sqlalchemy as sa
from fastapi.testclient import TestClient

from fenpei.adapters.crm.zoho import ZohoAdapter
from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.domain.events import EventType
from fenpei.domain.import_uploads import ImportMode
from fenpei.domain.pools import team_pool
from fenpei.domain.rules import PUBLIC_POOL
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import org, tokens, users
from fenpei.services.dedupe.merge import merge_customers
from fenpei.services.dedupe.undo import undo_merge
from fenpei.services.imports import running, uploads
from fenpei.services.pool.claims import claim
from fenpei.services.pool.moves import move_to_pool
from fenpei.services.routing_optimal import redistribute_pool
from fenpei.services.sla import policies
from fenpei.services.sla.check import check
from fenpei.services.sync.bridge import receive_records
from fenpei.services.sync.run import run_sync
from tests import _zoho_server as z
from tests._apps import asgi_app
from tests._import_files import MAPPING, gbk_leads
from tests.e2e.test_api_webhooks import signed_headers
from tests.fakes import FixedClock
from tests.integration import _ownership_world as ow
from tests.integration._ownership_world import Expected
from tests.integration._routing_world import World, add_rule


def owners(app: Fenpei, customer_ids: list[int]) -> list[int | None]:
    c = tables.customers.c
    with app.engine.connect() as connection:
        rows = connection.execute(sa.select(c.id, c.owner_id).where(c.id.in_(customer_ids)))
        found = {customer_id: owner_id for customer_id, owner_id in rows}
    return [found[customer_id] for customer_id in customer_ids]


def push(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    """A manager gives a customer waiting in a pool to a rep (推送), past the claim caps."""
    customer_id = ow.pooled(app, "Pushed")
    ow.started(app, customer_id)
    setup = ow.last_event(app)
    with app.uow() as uow:
        claim(uow=uow, customer_id=customer_id, actor=SYSTEM, now=app.now(), rep_id=world.carol)
        uow.commit()
    return Expected([customer_id], EventType.assigned, [world.carol], setup)


def move_between_pools(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    """Nobody owns the customers before or after; who may claim them changes, so the move
    is recorded (``move``, nobody to nobody) with a ``pooled`` event naming the new pool,
    and the reclaim, SLA and load reactions have nothing to do."""
    add_rule(app, name="Pool", conditions={}, target={"kind": "pool", "pool": PUBLIC_POOL})
    ids = [ow.arrives(app, f"Moved {n}") for n in range(2)]
    for customer_id in ids:
        ow.started(app, customer_id)
    setup = ow.last_event(app)
    east = team_pool(world.east)
    with app.uow() as uow:
        move_to_pool(
            uow=uow, actor=SYSTEM, customer_ids=ids, to_pool=east, reason="East follows up",
            now=app.now(),
        )  # fmt: skip
        uow.commit()
    return Expected(ids, EventType.pooled, [None, None], setup, pool=east)


def sla_reassignment(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    """Nobody called the customer back: after the breach and the grace, the sla-check job
    routes it again without its owner."""
    target = {"kind": "reps", "rep_ids": [world.alice, world.bob]}
    rule = add_rule(app, name="East", conditions={}, target=target)
    with app.uow() as uow:
        policies.create_policy(
            uow=uow, actor=SYSTEM, now=app.now(),
            fields={"name": "Call back within the hour", "first_contact_minutes": 60,
                    "rule_id": rule, "reassign_after_minutes": 60},
        )  # fmt: skip
        uow.commit()
    customer_id = ow.arrives(app, "Not called back")
    ow.started(app, customer_id)
    setup = ow.last_event(app)
    [first] = owners(app, [customer_id])
    clock = app.clock
    assert isinstance(clock, FixedClock)
    clock.advance(days=2)  # two working days later: long past the due time and the grace
    report = check(uow_factory=app.uow, rulebook=app.rulebook, now=app.now(), rng=Random(1))
    assert report.reassigned == 1, report.summary()
    other = world.bob if first == world.alice else world.alice
    return Expected([customer_id], EventType.reassigned, [other], setup)


def _twins(app: Fenpei, world: World) -> tuple[int, int]:
    """An unowned customer and its twin, Bob's."""
    return ow.customer(app, "王总", phone="13900000001"), ow.owned_by(app, world, "王总（重复）")


def _merge(app: Fenpei, survivor: int, twin: int) -> int:
    with app.uow() as uow:
        done = merge_customers(
            uow=uow, actor=SYSTEM, survivor_id=survivor, loser_id=twin, choices={},
            now=app.now(),
        )  # fmt: skip
        uow.commit()
    assert done.id is not None
    return done.id


def merge(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    """Two duplicates merged (合并): the survivor takes Bob, the only owner of the two (a
    ``customer.merged`` event comes besides the owner's)."""
    survivor, twin = _twins(app, world)
    setup = ow.last_event(app)
    _merge(app, survivor, twin)
    return Expected([survivor], EventType.assigned, [world.bob], setup)


def merge_undone(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    """The merge undone: the survivor's owner reverts; it had none, so to the public pool."""
    survivor, twin = _twins(app, world)
    merge_id = _merge(app, survivor, twin)
    setup = ow.last_event(app)
    with app.uow() as uow:
        undo_merge(uow=uow, actor=SYSTEM, merge_id=merge_id, now=app.now())
        uow.commit()
    return Expected([survivor], EventType.pooled, [None], setup, pool=PUBLIC_POOL)


def _emails(app: Fenpei, *rep_ids: int) -> list[str]:
    """Give the reps the emails a CRM knows them by."""
    emails = [f"rep{rep_id}@example.cn" for rep_id in rep_ids]
    with app.uow() as uow:
        for rep_id, email in zip(rep_ids, emails, strict=True):
            org.update_rep(
                uow=uow, rep_id=rep_id, fields={"email": email}, actor=SYSTEM, now=app.now()
            )
        uow.commit()
    return emails


def crm_pull(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    """The CRM of record (a local Zoho) gives a synced customer to another owner; the next
    pull brings the change."""
    bob, carol = _emails(app, world.bob, world.carol)
    crm = z.ZohoServer().start()
    try:
        adapter = ZohoAdapter(
            name="zoho", module="Leads", accounts_url=crm.url, api_url=crm.url,
            client_id=z.CLIENT_ID, client_secret=z.CLIENT_SECRET,
            refresh_token=z.REFRESH_TOKEN, now=app.now, sleep=lambda seconds: None,
        )  # fmt: skip

        def pull() -> None:
            counts = run_sync(
                uow_factory=app.uow, adapter=adapter, rulebook=app.rulebook, actor=SYSTEM,
                now=app.now, rng=Random(1),
            )  # fmt: skip
            assert counts.errors == [], counts.errors

        record = crm.add_record(crm.add_user(bob, "Bob"), Full_Name="Synced", Phone="13800009999")
        to_carol = crm.add_user(carol, "Carol")
        pull()  # arrives as Bob's
        with app.uow(read_only=True) as uow:
            customer_id = uow.sync.customer_of("zoho", "Leads", record)
        assert customer_id is not None
        ow.started(app, customer_id)
        setup = ow.last_event(app)
        crm.now += timedelta(minutes=5)
        crm.change(record, Owner=to_carol)
        pull()
    finally:
        crm.stop()
    return Expected([customer_id], EventType.reassigned, [world.carol], setup)


def crm_bridge(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    """A CRM without an adapter posts its records to the bridge; one names its owner."""
    [dan] = _emails(app, world.dan)
    payload = {
        "records": [{"external_id": "L-1", "fields": {"name": "Bridged"}, "owner_email": dan}]
    }
    with app.uow() as uow:
        receive_records(
            uow=uow, rulebook=app.rulebook, connection="bridge", module="Leads",
            payload=payload, field_map=None, user_map={}, actor=SYSTEM, now=app.now(),
            rng=Random(1),
        )  # fmt: skip
        uow.commit()
        customer_id = uow.sync.customer_of("bridge", "Leads", "L-1")
    assert customer_id is not None
    return Expected([customer_id], EventType.assigned, [world.dan])


def webhook_lead(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    """A system that signs its requests posts a lead: POST /api/v1/webhooks/leads."""
    add_rule(app, name="West", conditions={}, target={"kind": "reps", "rep_ids": [world.dan]})
    with app.uow() as uow:
        users.create_user(
            uow=uow, hasher=app.hasher, username="forms", password="long enough password",
            role=Role.admin, actor=SYSTEM, now=app.now(),
        )  # fmt: skip
        _, plaintext = tokens.create_token(
            uow=uow, username="forms", name="web forms", scopes=["leads:write"], actor=SYSTEM,
            now=app.now(),
        )  # fmt: skip
        uow.commit()
    body = json.dumps({"name": "Signed 网络线索"}, ensure_ascii=False).encode()
    client = TestClient(asgi_app(app), follow_redirects=False)
    answer = client.post(
        "/api/v1/webhooks/leads", content=body, headers=signed_headers(app, plaintext, body)
    )
    assert answer.status_code == 201, answer.text
    return Expected([answer.json()["customer"]["id"]], EventType.assigned, [world.dan])


def redistribution(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    """A manager redistributes the public pool (公海再分配) under a rule naming reps."""
    add_rule(app, name="Pool", conditions={}, target={"kind": "pool", "pool": PUBLIC_POOL})
    ids = [ow.arrives(app, f"Waiting {n}") for n in range(3)]
    for customer_id in ids:
        ow.started(app, customer_id)
    setup = ow.last_event(app)
    target = {"kind": "reps", "rep_ids": [world.alice, world.dan]}
    rule = add_rule(app, name="Spread", conditions={}, target=target)
    with app.uow() as uow:
        done = redistribute_pool(
            uow=uow, rulebook=app.rulebook, pool=PUBLIC_POOL, rule_id=rule, actor=SYSTEM,
            now=app.now(), rng=Random(1), dry_run=False,
        )  # fmt: skip
        uow.commit()
    assert done.staying == 0 and sum(done.placed.values()) == 3
    given = owners(app, ids)
    assert set(given) <= {world.alice, world.dan}
    return Expected(ids, EventType.assigned, given, setup)


def import_upload(app: Fenpei, world: World, tmp_path: Path) -> Expected:
    """A file uploaded in the browser (or by the API), imported and routed by the worker."""
    add_rule(app, name="West", conditions={}, target={"kind": "reps", "rep_ids": [world.dan]})
    file = gbk_leads(good=2, bad=0)
    with app.uow() as uow:
        upload = uploads.receive(
            uow=uow, files=app.table_files, name=file.name, data=file.data, actor=SYSTEM,
            now=app.now(), max_bytes=app.settings.max_upload_bytes,
        )  # fmt: skip
        assert upload.id is not None
        uploads.start(
            uow=uow, upload_id=upload.id, mapping=MAPPING, source=None,
            mode=ImportMode.all_or_nothing, route=True, actor=SYSTEM, now=app.now(),
        )  # fmt: skip
        uow.commit()
    ran = running.run_waiting(
        uow_factory=app.uow, files=app.table_files, rulebook=app.rulebook, now=app.now,
        rng=app.rng,
    )  # fmt: skip
    assert ran == 1
    c = tables.customers.c
    with app.engine.connect() as connection:
        ids = list(
            connection.scalars(sa.select(c.id).where(c.name.in_(file.good_names)).order_by(c.id))
        )
    assert len(ids) == 2
    return Expected(ids, EventType.assigned, [world.dan, world.dan])
