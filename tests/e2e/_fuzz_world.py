"""The records the API fuzz test runs against, and one known-good request per operation.

``seed`` fills a migrated database with what every operation needs to succeed: teams,
reps, customers with an assignment history, rules, category values, a leave, users and
tokens, the admin's inbox, a dead delivery and webhook subscriptions. Operations that use a
record up (a delete, a merge, a retire) or need it in a particular state get one of their
own (``FuzzWorld.own``), so the known-good requests succeed in any order.

``known_good`` builds an operation's request from the app's OpenAPI: its example body
(or a body synthesised from its schema) with the world's values put in by field name
(``team_id`` -> a seeded team, ``rule_ids`` -> the seeded rules). The same values feed the
generation hooks, so generated requests also name records that exist.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from fenpei.adapters.backup.store import directory_backups
from fenpei.bootstrap import Fenpei
from fenpei.config import SyncConnection
from fenpei.domain.events import (
    Channel,
    Delivery,
    DeliveryStatus,
    EventType,
    Notification,
    OutboxEvent,
)
from fenpei.domain.import_uploads import ImportMode
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import assignments, categories, org, rules, tokens, users, webhooks
from fenpei.services.backups.manifest import BackupKind
from fenpei.services.categories import ensure_default_categories
from fenpei.services.customers import create_customer
from fenpei.services.files import attachments
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.imports import running, uploads
from fenpei.services.notifications import subscriptions
from fenpei.services.rules import ensure_default_rule
from fenpei.services.scoring import models as scoring_models
from fenpei.services.sla import clocks as sla_clocks
from fenpei.services.sla import policies as sla_policies
from fenpei.services.tasks import workflow as task_workflow
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput
from tests import _import_files
from tests.e2e import _hostile
from tests.file_samples import tiny_png

ADMIN = "fuzz-admin"
ADMIN_PASSWORD = "long enough password"
# Values no example can know: the admin's password in a password change, and in a path a
# category, one of its values, a rule's first version, a role (notification defaults) and
# a scheduled job.
BODY_VALUES: dict[str, Any] = {
    "current_password": ADMIN_PASSWORD,
    "new_password": "another long enough password",
}
PATH_VALUES: dict[str, Any] = {
    "key": "level",
    "code": "A",
    "version": 1,
    "role": "rep",
    "name": "retry-queue",
    "year": 2026,
    "priority": "high",  # a task priority (task timers)
    "connection": "zoho",  # a CRM sync connection (``seed`` configures it)
    "kind": "customers",  # an export (GET /api/v1/exports/{kind})
}
# The signed intakes: their requests are signed with ``hook_token``.
WEBHOOKS = frozenset(
    {
        "POST /api/v1/webhooks/leads",
        "POST /api/v1/webhooks/tasks",
        "POST /api/v1/webhooks/sync/{connection}",
    }
)
QUERY = "query"  # in ``FuzzWorld.own``: an operation's known-good query parameters


@dataclass(frozen=True)
class FuzzWorld:
    """What ``seed`` made, by the names requests give it."""

    # The admin's all-scope token, which every request carries; a leads:write and
    # tasks:write token of theirs, whose webhook secret signs webhook requests.
    token: str = field(repr=False)
    hook_token: str = field(repr=False)
    # The ids, as text, of the tokens the run must never revoke: its own two.
    kept_token_ids: frozenset[str]
    # Ids by the stem of the field or parameter that names them: "rep" for rep_id and
    # rep_ids, "parent" for parent_id.
    ids: Mapping[str, tuple[int, ...]]
    # Values only one operation uses, by operation ("DELETE /api/v1/rules/{rule_id}") and
    # field or parameter name.
    own: Mapping[str, Mapping[str, Any]]
    # Category keys and their usable codes, for generated path parameters.
    codes: Mapping[str, tuple[str, ...]]

    def value_for(self, name: str, operation: str | None = None, *, in_path: bool = False) -> Any:
        """What the world has for a body field or (``in_path``) a path parameter: the
        operation's own record, a known value, the first seeded id for ``x_id`` and every
        one for ``x_ids``; else None."""
        own = self.own.get(operation or "", {})
        known = PATH_VALUES if in_path else BODY_VALUES
        if name in own:
            return own[name]
        if name in known:
            return known[name]
        if not re.fullmatch(r"\w+_ids?", name):
            return None
        found = self.ids.get(name.removesuffix("_ids").removesuffix("_id"))
        if not found:
            return None
        return list(found) if name.endswith("_ids") else found[0]

    def choices_for(self, name: str) -> list[Any]:
        """Every seeded value a generated path parameter may be given (empty: none)."""
        if name == "key":
            return sorted(self.codes)
        if name == "code":
            return sorted({code for codes in self.codes.values() for code in codes})
        if name == "name":  # a job's (the only path parameter so called)
            return [PATH_VALUES["name"]]
        return list(self.ids.get(name.removesuffix("_id"), ()))


def seed(fenpei: Fenpei) -> FuzzWorld:
    """Fill a migrated database with a world every operation can succeed on."""
    now = fenpei.now()
    # A CRM sync connection whose CRM is not there (port 9 refuses at once): a run answers
    # 200 with the error in its counts.
    fenpei.settings.sync_connections = [
        SyncConnection(name="zoho", kind="zoho", accounts_url="http://127.0.0.1:9",
                       api_url="http://127.0.0.1:9", timeout_seconds=2)
    ]  # fmt: skip
    with fenpei.uow() as uow:
        ensure_default_categories(uow=uow, actor=SYSTEM, now=now)
        ensure_default_rule(uow=uow, actor=SYSTEM, now=now)
        users.create_user(
            uow=uow,
            hasher=fenpei.hasher,
            username=ADMIN,
            password=ADMIN_PASSWORD,
            role=Role.admin,
            actor=SYSTEM,
            now=now,
        )
        manager = users.create_user(
            uow=uow,
            hasher=fenpei.hasher,
            username="fuzz-manager",
            password=ADMIN_PASSWORD,
            role=Role.manager,
            actor=SYSTEM,
            now=now,
        )
        # The tokens example names this user.
        users.create_user(
            uow=uow,
            hasher=fenpei.hasher,
            username="intake",
            password=ADMIN_PASSWORD,
            role=Role.admin,
            actor=SYSTEM,
            now=now,
        )
        east = org.create_team(uow=uow, name="East 华东", actor=SYSTEM, now=now)
        west = org.create_team(uow=uow, name="West", actor=SYSTEM, now=now)
        empty = org.create_team(uow=uow, name="Empty", actor=SYSTEM, now=now)
        moses, darcel, away = (
            org.create_rep(
                uow=uow, fields={"name": name, "team_id": east.id}, actor=SYSTEM, now=now
            )
            for name in ("Moses Frase", "Darcel Schlecht", "Sent Away")
        )
        leave = org.add_leave(
            uow=uow,
            rep_id=moses.id or 0,
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=4),
            actor=SYSTEM,
            now=now,
        )
        acme, globex, given, spread_1, spread_2, doomed, pooled, returned, staged, moving = (
            create_customer(uow=uow, fields=fields, actor=SYSTEM, now=now)
            for fields in (
                {"name": "Acme 上海", "company_name": "Acme", "region": "East", "level": "A"},
                {"name": "Globex", "region": "West", "industry": "retail", "stage": "won"},
                {"name": "To be given", "region": "East"},
                {"name": "To be spread 1"},
                {"name": "To be spread 2"},
                {"name": "To be deleted"},
                {"name": "Waiting in the pool"},
                {"name": "To be returned"},
                {"name": "To be staged"},  # its stage is changed once, as the example says
                {"name": "To be moved", "phone": "13800138000"},
            )
        )
        pooled.pool = "public"  # as a rule to the pool leaves it
        moving.pool = "public"
        pushing = create_customer(uow=uow, fields={"name": "To be pushed"}, actor=SYSTEM, now=now)
        pushing.pool = "public"
        rule_ids = [
            rules.create_rule(
                uow=uow,
                fields={
                    "name": f"{region} → {team.name}",
                    "priority": priority,
                    "conditions": {"field": "region", "op": "eq", "value": region},
                    "target": {"kind": "team", "team_id": team.id},
                },
                actor=SYSTEM,
                now=now,
            ).id
            for region, team, priority in (
                ("East", east, 10),
                ("West", west, 20),
                ("North", west, 30),
            )
        ]
        for code in ("M", "R", "T"):
            categories.add_value(uow=uow, key="level", code=code, label=None, actor=SYSTEM, now=now)
        categories.retire_value(uow=uow, key="level", code="T", actor=SYSTEM, now=now)
        made = [
            tokens.create_token(
                uow=uow, username=ADMIN, name=name, scopes=scopes, actor=SYSTEM, now=now
            )
            for name, scopes in (
                ("fuzz", ["*"]),
                ("webhook", ["leads:write", "tasks:write", "sync:write"]),
                ("spare 1", ["customers:read"]),
                ("spare 2", ["customers:read"]),
            )
        ]
        hook, doomed_hook = (
            subscriptions.create_subscription(
                uow=uow, actor=SYSTEM, name=name, url="https://crm.example.com/h", now=now
            )
            for name in ("fuzz-crm", "to-be-deleted")
        )
        uow.commit()
    policy, doomed_policy, clocked, paused = _sla(fenpei, moses.id or 0)
    # Acme's history: Moses, then Darcel with a reason; Moses owns the one to be returned.
    for customer, rep, days, reason in (
        (acme, moses, 0, None),
        (acme, darcel, 1, "Moses is on leave"),
        (returned, moses, 0, None),
    ):
        with fenpei.uow() as uow:
            assignments.assign(
                uow=uow,
                customer_id=customer.id or 0,
                rep_id=rep.id or 0,
                actor=SYSTEM,
                now=now + timedelta(days=days),
                reason=reason,
            )
            uow.commit()
    delivery_id = _inbox_and_dead_letter(fenpei, made[0][0].user_id, moses.id or 0)
    follow_up_id = _follow_up(fenpei, acme.id or 0)
    task_ids, task_own = _tasks(fenpei, moses.id or 0)
    import_id = _finished_import(fenpei)
    token_ids = [token.id or 0 for token, _ in made]
    *_, last_rule = rule_ids
    model_id = _score_model(fenpei)
    kept_file, doomed_file = _attachments(fenpei, acme.id or 0)
    dedupe_ids, dedupe_own = _dedupe(fenpei)
    backup_name = _backup(fenpei)
    return FuzzWorld(
        token=made[0][1],
        hook_token=made[1][1],
        kept_token_ids=frozenset(str(i) for i in token_ids[:2]),
        ids={
            "customer": (acme.id or 0, globex.id or 0),
            "rep": (moses.id or 0, darcel.id or 0),
            "owner": (darcel.id or 0,),
            "team": (east.id or 0,),
            "parent": (west.id or 0,),
            "manager_user": (manager.id or 0,),
            # Not the default rule (always last; a reorder may not name it), nor the one
            # deleted below.
            "rule": (rule_ids[0] or 0, rule_ids[1] or 0),
            "leave": (leave.id or 0,),
            "token": tuple(token_ids[2:]),
            "version": (1,),
            "model": (model_id,),
            "delivery": (delivery_id,),
            "subscription": (hook.id or 0,),
            "policy": (policy,),
            "import": (import_id,),
            **task_ids,
            "attachment": (kept_file,),
            "follow_up": (follow_up_id,),
            **dedupe_ids,
        },
        own={
            "DELETE /api/v1/customers/{customer_id}": {"customer_id": doomed.id},
            "PATCH /api/v1/reps/{rep_id}": {"rep_id": away.id},
            "DELETE /api/v1/reps/{rep_id}/leaves/{leave_id}": {
                "rep_id": moses.id,
                "leave_id": leave.id,
            },
            "DELETE /api/v1/teams/{team_id}": {"team_id": empty.id},
            "POST /api/v1/categories/{key}/values/{code}/merge": {"code": "M", "into": "B"},
            "POST /api/v1/categories/{key}/values/{code}/retire": {"code": "R"},
            "POST /api/v1/categories/{key}/values/{code}/restore": {"code": "T"},
            "DELETE /api/v1/rules/{rule_id}": {"rule_id": last_rule},
            "POST /api/v1/assignments": {"customer_id": given.id, "rep_id": moses.id},
            "POST /api/v1/assignments/bulk": {
                "customer_ids": [spread_1.id, spread_2.id],
                "rep_ids": [moses.id, darcel.id],
            },
            "DELETE /api/v1/tokens/{token_id}": {"token_id": token_ids[2]},
            "POST /api/v1/pools/claims": {"customer_id": pooled.id, "rep_id": moses.id},
            "POST /api/v1/pools/returns": {"customer_id": returned.id, "reason": "other"},
            "POST /api/v1/customers/{customer_id}/stage": {"customer_id": staged.id},
            "PATCH /api/v1/customers/{customer_id}/follow-ups/{follow_up_id}": {
                "customer_id": acme.id,
                "follow_up_id": follow_up_id,
            },
            "POST /api/v1/pools/{key}/move": {
                "key": "public",
                "customer_ids": [moving.id],
                "to_pool": "vip",
            },
            "POST /api/v1/pools/{key}/push": {
                "key": "public",
                "customer_ids": [pushing.id],
                "rep_id": moses.id,
            },
            "GET /api/v1/backups/{name}": {"name": backup_name},
            # Query parameters of a known-good request (none of the others takes any).
            "GET /api/v1/customers/duplicates": {QUERY: {"phone": "+86 138 0013 8000"}},
            "DELETE /api/v1/subscriptions/{subscription_id}": {"subscription_id": doomed_hook.id},
            "DELETE /api/v1/sla-policies/{policy_id}": {"policy_id": doomed_policy},
            "POST /api/v1/customers/{customer_id}/sla/pause": {"customer_id": clocked},
            "POST /api/v1/customers/{customer_id}/sla/resume": {"customer_id": paused},
            **task_own,
            "DELETE /api/v1/attachments/{attachment_id}": {"attachment_id": doomed_file},
            **dedupe_own,
        },
        codes={"level": ("A", "B", "C", "D"), "source": ("web", "phone")},
    )


def _attachments(fenpei: Fenpei, customer_id: int) -> tuple[int, int]:
    """Two files of a customer: one to read, one to delete."""
    made = []
    for name in ("kept.png", "doomed.png"):
        with fenpei.uow() as uow:
            attachment = attachments.upload(
                uow=uow, store=fenpei.files, customer_id=customer_id,
                stream=io.BytesIO(tiny_png()), file_name=name, actor=SYSTEM,
                now=fenpei.now(), max_bytes=fenpei.settings.attachment_max_bytes,
            )  # fmt: skip
            uow.commit()
            made.append(attachment.id or 0)
    return made[0], made[1]


def _upload_body() -> dict[str, Any]:
    """A multipart import: a GBK file whose 联系人 column is mapped to the name."""
    file = _import_files.gbk_leads(good=2, bad=1)
    return {"file": file.data, "mapping": json.dumps({"联系人": "name"}), "mode": "skip"}


def _finished_import(fenpei: Fenpei) -> int:
    """An import uploaded, run by the worker, with an error file to download."""
    file = _import_files.gbk_leads(good=2, bad=1, name="fuzz.csv")
    with fenpei.uow() as uow:
        upload = uploads.receive(
            uow=uow,
            files=fenpei.table_files,
            name=file.name,
            data=file.data,
            actor=SYSTEM,
            now=fenpei.now(),
            max_bytes=fenpei.settings.max_upload_bytes,
        )
        assert upload.id is not None
        uploads.start(
            uow=uow,
            upload_id=upload.id,
            mapping=_import_files.MAPPING,
            source=None,
            mode=ImportMode.skip_bad_rows,
            route=False,
            actor=SYSTEM,
            now=fenpei.now(),
        )
        uow.commit()
    running.run_waiting(
        uow_factory=fenpei.uow,
        files=fenpei.table_files,
        rulebook=fenpei.rulebook,
        now=fenpei.now,
        rng=fenpei.rng,
    )
    return upload.id


def _dedupe(fenpei: Fenpei) -> tuple[dict[str, tuple[int, ...]], dict[str, dict[str, Any]]]:
    """Duplicate customers: a pair to dismiss and reopen, two to preview, two to merge, and
    a merge to undo (each operation its own, so their order does not matter)."""
    from fenpei.services.dedupe import merge as dedupe_merge
    from fenpei.services.dedupe import scan as dedupe_scan

    with fenpei.uow() as uow:
        made = [
            create_customer(
                uow=uow,
                fields={"name": f"重复{i}", "phone": f"1390000{i:04d}"},
                actor=SYSTEM,
                now=fenpei.now(),
            )
            for i in (1, 1, 2, 2, 3, 3)
        ]
        uow.commit()
    ids = [c.id or 0 for c in made]
    with fenpei.uow() as uow:
        dedupe_scan.scan_duplicates(uow=uow, actor=SYSTEM, now=fenpei.now())
        merged = dedupe_merge.merge_customers(
            uow=uow, actor=SYSTEM, survivor_id=ids[4], loser_id=ids[5], choices={},
            now=fenpei.now(),
        )  # fmt: skip
        uow.commit()
        pair = uow.dedupe.find_pair(ids[0], ids[1])
    assert pair is not None and pair.id is not None and merged.id is not None
    return (
        {"pair": (pair.id,), "merge": (merged.id,), "survivor": (ids[2],), "loser": (ids[3],)},
        {
            "GET /api/v1/dedupe/preview": {QUERY: {"survivor_id": ids[0], "loser_id": ids[1]}},
            "POST /api/v1/dedupe/merges": {"survivor_id": ids[2], "loser_id": ids[3]},
        },
    )


def _score_model(fenpei: Fenpei) -> int:
    """A scorecard version, for the scoring operations that name one."""
    with fenpei.uow() as uow:
        model, _ = scoring_models.save_scorecard(
            uow=uow, actor=SYSTEM, name="打分卡", base=10, now=fenpei.now(),
            lines=[{"label": "零售", "points": 20,
                    "conditions": {"field": "industry", "op": "eq", "value": "retail"}}],
        )  # fmt: skip
        uow.commit()
    return model.id or 0


def _tasks(
    fenpei: Fenpei, rep_id: int
) -> tuple[dict[str, tuple[int, ...]], dict[str, dict[str, Any]]]:
    """Tasks to read and work (Moses's, each with a checklist item), and one per operation
    that moves a task on, in the state it needs (a done one to rate, an unassigned one to
    assign), so the order operations run in does not matter."""
    now = fenpei.now()
    names = ("shared", "status", "progress", "complete", "rate", "chase", "route", "assign")
    with fenpei.uow() as uow:
        made = {
            name: create_and_route(
                uow=uow,
                actor=SYSTEM,
                now=now,
                assignee_id=None if name == "assign" else rep_id,
                data=TaskInput(title=f"任务 {name}", checklist=["打电话", "发报价"]),
            )
            for name in names
        }
        uow.commit()
    with fenpei.uow() as uow:
        task_workflow.complete(uow=uow, actor=SYSTEM, task_id=made["rate"].id or 0, now=now)
        shared_items = [i.id or 0 for i in uow.tasks.items(made["shared"].id or 0)]
        uow.commit()
    base = "/api/v1/tasks/{task_id}"
    own: dict[str, dict[str, Any]] = {
        f"POST {base}/{name}": {"task_id": made[name].id} for name in names[1:]
    }
    own[f"DELETE {base}/checklist/{{item_id}}"] = {"item_id": shared_items[1]}
    ids = {"task": (made["shared"].id or 0,), "item": (shared_items[0],)}
    return ids, own


def _sla(fenpei: Fenpei, rep_id: int) -> tuple[int, int, int, int]:
    """Two SLA policies (one to delete) and two customers with running clocks, the second
    paused (to resume): ids of policy, doomed policy, clocked, paused."""
    now = fenpei.now()
    with fenpei.uow() as uow:
        kept, doomed = (
            sla_policies.create_policy(
                uow=uow, fields={"name": name, "first_contact_minutes": 120}, actor=SYSTEM,
                now=now,
            ).id or 0
            for name in ("First call", "To be deleted")
        )  # fmt: skip
        clocked, paused = (
            create_customer(uow=uow, fields={"name": name}, actor=SYSTEM, now=now).id or 0
            for name in ("Clocked", "Paused")
        )
        uow.commit()
    with fenpei.uow() as uow:
        for customer_id in (clocked, paused):
            assignments.assign(
                uow=uow, customer_id=customer_id, rep_id=rep_id, actor=SYSTEM, now=now
            )
        sla_clocks.pause(uow=uow, customer_id=paused, actor=SYSTEM, now=now)
        uow.commit()
    return kept, doomed, clocked, paused


def _inbox_and_dead_letter(fenpei: Fenpei, user_id: int, rep_id: int) -> int:
    """Two notifications in the admin's inbox, and a delivery that died (its id)."""
    now = fenpei.now()
    with fenpei.uow() as uow:
        event = OutboxEvent(
            EventType.assigned,
            "evt_fuzz",
            {"customer_id": 1, "customer_name": "Acme 上海", "to_rep_id": rep_id},
            occurred_at=now,
        )
        uow.outbox.add(event)
        uow.inbox.add_many(
            [
                Notification(user_id, f"evt_fuzz_{n}", EventType.assigned, event.payload, now)
                for n in (1, 2)
            ]
        )
        uow.commit()
    assert event.id is not None
    with fenpei.uow() as uow:
        dead = Delivery(
            event_id=event.id,
            channel=Channel.email,
            recipient=f"rep:{rep_id}",
            key=f"evt_fuzz:email:rep:{rep_id}",
            created_at=now,
            next_attempt_at=now,
            status=DeliveryStatus.dead,
            attempts=8,
            last_error="ConnectionRefusedError: [Errno 111] Connection refused",
        )
        uow.outbox.add_deliveries([dead])
        uow.commit()
    with fenpei.uow() as uow:
        return uow.outbox.deliveries(status=DeliveryStatus.dead)[0].id or 0


@dataclass(frozen=True)
class Request:
    """What a known-good case is built from."""

    path_parameters: dict[str, Any]
    body: Any  # None when the operation takes no body
    query: dict[str, Any] | None = None
    media_type: str = "application/json"


def known_good(document: Mapping[str, Any], label: str, world: FuzzWorld) -> Request:
    """A request that ``label`` ("POST /api/v1/rules") should answer with a 2xx: its
    OpenAPI example body with the world's values, its path parameters from the world."""
    method, path = label.split(" ", 1)
    spec = _hostile.Spec(document)
    operation = document["paths"][path][method.lower()]
    path_parameters = {
        p["name"]: world.value_for(p["name"], label, in_path=True)
        for p in (spec.resolve(p) for p in operation.get("parameters", []))
        if p["in"] == "path"
    }
    content = (operation.get("requestBody") or {}).get("content", {})
    if "multipart/form-data" in content:  # an upload: a small file that imports
        query = world.own.get(label, {}).get(QUERY)
        return Request(path_parameters, _upload_body(), query, "multipart/form-data")
    schema = (content.get("application/json") or {}).get("schema")
    body = None
    if schema is not None:
        base = _hostile.synthesise(spec, schema)
        body = _hostile.substitute(base, lambda name: world.value_for(name, label))
    if "multipart/form-data" in content:  # a file upload: a real PNG
        return Request(path_parameters, {"file": tiny_png()}, None, "multipart/form-data")
    return Request(path_parameters, body, world.own.get(label, {}).get(QUERY))


def signed(fenpei: Fenpei, world: FuzzWorld, body: Any) -> tuple[bytes, dict[str, str]]:
    """``body`` as the bytes a sending system signs, and the headers that sign them with
    the webhook token's secret at the app's (fixed) time."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    prefix = world.hook_token.split("_")[1]
    secret = webhooks.webhook_secret(secret_key=fenpei.settings.secret_key, prefix=prefix)
    stamp = str(int(fenpei.now().timestamp()))
    return raw, {
        webhooks.TOKEN_HEADER: prefix,
        webhooks.TIMESTAMP_HEADER: stamp,
        webhooks.SIGNATURE_HEADER: webhooks.signature(secret=secret, timestamp=stamp, body=raw),
    }


def _follow_up(fenpei: Fenpei, customer_id: int) -> int:
    """A follow-up an admin logged on ``customer_id``, to correct."""
    with fenpei.uow() as uow:
        logged = record_follow_up(
            uow=uow, customer_id=customer_id, actor=SYSTEM, kind="phone", at=fenpei.now(),
            content="电话", now=fenpei.now(),
        )  # fmt: skip
        uow.commit()
    return logged.id or 0


def _backup(fenpei: Fenpei) -> str:
    """A backup to download, in a folder beside the fuzzed database (as are the backups
    the fuzzed requests make)."""
    folder = Path(fenpei.engine.url.database or ".").resolve().parent
    fenpei.settings = fenpei.settings.model_copy(
        update={"backup_dir": folder / "backups", "files_dir": folder / "files"}
    )
    store = directory_backups(fenpei.settings, fenpei.engine)
    return store.create(kind=BackupKind.manual, now=fenpei.now()).name
