"""A database with rows in every table, for the backup round trip: a slice of the Maven
CRM (teams, reps, companies, customers, assignments, rules, a scorecard), the Chinese
world of the page walk (users, SLA, holidays, leave, follow-ups, stages, tasks, a webhook
subscription), the worker's round (outbox, deliveries, notifications, job runs), and the
services for what is left."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from random import Random

import sqlalchemy as sa
from fastapi.testclient import TestClient

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.cli.imports import BUNDLED_MAVEN, read_maven_directory
from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.sync import CrmRecord, CrmUser, OwnerChange, PushAnswer, RecordPage
from fenpei.domain.task_timers import Stage
from fenpei.domain.users import SYSTEM
from fenpei.jobs.worker import Worker
from fenpei.services.assignments import assign
from fenpei.services.customers import create_customer
from fenpei.services.dedupe.merge import merge_customers
from fenpei.services.dedupe.scan import scan_duplicates
from fenpei.services.exports.settings import set_reps_may_export
from fenpei.services.import_jobs import start_job
from fenpei.services.imports.mapping import remember
from fenpei.services.imports.uploads import receive
from fenpei.services.maven_import import import_maven
from fenpei.services.maven_rules import create_maven_rules
from fenpei.services.maven_scoring import create_maven_scorecard
from fenpei.services.notifications.subscriptions import update_subscription
from fenpei.services.pool.terms import set_terms
from fenpei.services.rulebook import RuleBook
from fenpei.services.sync.run import run_sync
from tests._import_files import gbk_leads
from tests.e2e.conftest import asgi_app, log_in
from tests.e2e.test_api_webhooks import signed_headers
from tests.e2e.test_zh_cn_pages import CHINESE, _seed
from tests.fakes import FixedClock

MAVEN_DEALS = 300
CLOSED_PORT_URL = "http://127.0.0.1:9/hook"  # the discard port: nothing listens


def empty_tables(app: Fenpei) -> list[str]:
    with app.engine.connect() as connection:
        return [
            table
            for table in sorted(sa.inspect(connection).get_table_names())
            if not connection.scalar(sa.select(sa.func.count()).select_from(sa.table(table)))
        ]


def fill_every_table(app: Fenpei, clock: FixedClock) -> None:
    """Rows in every table of ``app``'s database, each through the code that writes it."""
    data = read_maven_directory(BUNDLED_MAVEN)
    data = replace(data, pipeline=data.pipeline[:MAVEN_DEALS])
    with app.uow() as uow:
        import_maven(uow=uow, data=data, actor=SYSTEM, now=clock.now())
        create_maven_rules(uow=uow, actor=SYSTEM, now=clock.now())
        create_maven_scorecard(uow=uow, actor=SYSTEM, now=clock.now())
        uow.commit()
    with TestClient(asgi_app(app), follow_redirects=False) as client:
        seeded = _seed(app, clock, client, CHINESE)
        _through_the_api(app, client)
    _through_the_services(app, clock)
    _through_a_crm_sync(app, clock)
    _through_data_management(app, clock)
    with app.uow() as uow:  # the worker's delivery fails here, on this machine, not abroad
        update_subscription(
            uow=uow, actor=SYSTEM, subscription_id=int(seeded.ids["subscription_id"]),
            url=CLOSED_PORT_URL, now=clock.now(),
        )  # fmt: skip
        uow.commit()
    clock.advance(hours=1)
    Worker(app).tick()


def _ok(response: object) -> None:
    status = getattr(response, "status_code", 0)
    assert 200 <= status < 300, getattr(response, "text", response)


def _through_the_api(app: Fenpei, client: TestClient) -> None:
    """What the API and the login page write: a failed login, preferences and role
    defaults, grade settings, task timers and origins, a token, an idempotent lead and a
    signed webhook lead."""
    client.post("/login", data={"username": "admin", "password": "wrong"})
    log_in(client)
    _ok(client.put("/api/v1/account/notifications", json={"email_events": ["customer.assigned"]}))
    _ok(client.put("/api/v1/notification-defaults/rep", json={"email_events": []}))
    _ok(
        client.put(
            "/api/v1/scoring/settings", json={"grade_basis": "score", "thresholds": {"A": 9}}
        )
    )
    _ok(client.put("/api/v1/task-timers/high", json={"remind_before_hours": 1.5}))
    _ok(client.put("/api/v1/task-origins", json={"sla": True}))
    made = client.post("/api/v1/tokens", json={"name": "sync", "scopes": ["leads:write"]})
    _ok(made)
    plaintext = made.json()["token"]
    lead = {"name": "幂等线索", "region": "华东"}
    _ok(client.post("/api/v1/leads", json=lead, headers={"Idempotency-Key": "order-42"}))
    body = json.dumps({"name": "网络线索", "region": "华东"}, ensure_ascii=False).encode()
    hook = client.post(
        "/api/v1/webhooks/leads", content=body, headers=signed_headers(app, plaintext, body)
    )
    _ok(hook)


@dataclass(frozen=True)
class _Table:
    name: str
    headers: list[str]
    count: int = 1
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _through_data_management(app: Fenpei, clock: FixedClock) -> None:
    """The admin's export setting, an uploaded import with its remembered mapping, and a
    duplicate scan with one merge."""
    now = clock.now()
    file = gbk_leads(good=2, bad=1)
    with app.uow() as uow:
        set_reps_may_export(uow=uow, actor=SYSTEM, value=True, default=False, now=now)
        upload = receive(uow=uow, files=app.table_files, name=file.name, data=file.data,
                         actor=SYSTEM, now=now, max_bytes=1 << 20)  # fmt: skip
        remember(uow, source="展会", headers=upload.headers, mapping={"联系人": "name"},
                 actor=SYSTEM, now=now)  # fmt: skip
        twin = {"name": "重复客户", "phone": "13900009999"}
        twins = [create_customer(uow=uow, fields=twin, actor=SYSTEM, now=now) for _ in (1, 2)]
        scan_duplicates(uow=uow, actor=SYSTEM, now=now)
        merge_customers(uow=uow, actor=SYSTEM, survivor_id=twins[0].id or 0,
                        loser_id=twins[1].id or 0, choices={}, now=now)  # fmt: skip
        uow.commit()


def _through_the_services(app: Fenpei, clock: FixedClock) -> None:
    """What only services or a job's repository write here: a custom field, a pool's
    terms, an import job, a task reassignment by its timer."""
    now = clock.now()
    with app.engine.connect() as connection:
        task_id = connection.scalar(sa.select(sa.func.min(tables.tasks.c.id)))
    with app.uow() as uow:
        uow.custom_fields.add(CustomField("channel", "渠道", FieldKind.choice, ["门店", "网站"]))
        set_terms(uow=uow, key="vip", fields={"name": "大客户公海"}, actor=SYSTEM, now=now)
        table = _Table("客户.csv", ["name"], 1, [(2, {"name": "导入客户"})])
        start_job(uow, table, sha256="ab" * 32, actor=SYSTEM, now=now, route=False)
        uow.task_timers.claim(Stage.reassigned, [task_id], now=now + timedelta(hours=1))
        uow.commit()


class _OneRecordCrm:
    """A CRM (the other side of the sync) holding one lead, owned by the rep with
    zhangwei@example.com, that takes owner changes."""

    name, module, max_push = "crm", "Leads", 10

    def users(self) -> list[CrmUser]:
        return [CrmUser("u-zhang", "zhangwei@example.com")]

    def pull(self, *, modified_since: datetime | None, page_token: str | None) -> RecordPage:
        record = CrmRecord("L-1", {"name": "同步线索", "region": "华东"}, None, "u-zhang")
        return RecordPage([record] if modified_since is None else [], None)

    def owners_of(self, external_ids: Sequence[str]) -> dict[str, str | None]:
        return dict.fromkeys(external_ids, "u-zhang")

    def push_owners(self, changes: Sequence[OwnerChange]) -> list[PushAnswer]:
        return [PushAnswer(c.external_id, True, "SUCCESS") for c in changes]


def _through_a_crm_sync(app: Fenpei, clock: FixedClock) -> None:
    """A pull (a linked customer, the cursor), an owner change here, a push (its record)."""
    crm = _OneRecordCrm()

    def sync(**only: bool) -> None:
        run_sync(
            uow_factory=app.uow, adapter=crm, rulebook=RuleBook(), actor=SYSTEM,
            now=clock.now, rng=Random(1), **only,
        )  # fmt: skip

    sync(do_push=False)
    with app.engine.connect() as connection:
        customer_id = connection.scalar(sa.select(tables.sync_links.c.customer_id))
        owner = connection.scalar(
            sa.select(tables.customers.c.owner_id).where(tables.customers.c.id == customer_id)
        )
        rep_id = connection.scalar(
            sa.select(sa.func.min(tables.reps.c.id)).where(tables.reps.c.id != owner)
        )
    assert customer_id is not None and rep_id is not None
    with app.uow() as uow:
        assign(
            uow=uow, customer_id=customer_id, rep_id=rep_id, actor=SYSTEM, now=clock.now(),
            reason="同步后改派", override_capacity=True,
        )  # fmt: skip
        uow.commit()
    sync(do_pull=False)
