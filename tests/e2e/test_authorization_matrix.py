"""Every route × every kind of caller → the expected status.

The routes come from the app's own route table: a route added without an entry in
``CASES`` fails ``test_every_route_has_a_case``. Each (route, caller) runs against its own
copy of one seeded SQLite database, so a successful DELETE for one caller does not change
what the next one sees. The callers:

- ``anonymous``: no credentials;
- ``rep`` (Moses, East) and ``other_rep`` (Rosie, West);
- ``manager`` (manages East, Moses's team) and ``other_manager`` (manages West);
- ``auditor`` and ``admin``;
- ``token`` (an admin's API token holding exactly the scope the route needs) and
  ``token_without_scope`` (an admin's token holding another area's scope).

The records in the paths belong to East: Moses's customer, Moses, East's leave… So
``other_manager`` and ``other_rep`` are the ones to whom they must not exist (404).
"""

from __future__ import annotations

import functools
import io
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.testclient import TestClient

from fenpei.adapters.db.migrate import upgrade
from fenpei.adapters.storage.local import LocalFileStore
from fenpei.app import create_app
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.config import Settings
from fenpei.domain.events import (
    Channel,
    Delivery,
    DeliveryStatus,
    EventType,
    Notification,
    OutboxEvent,
)
from fenpei.domain.scopes import KNOWN_SCOPES
from fenpei.domain.users import SYSTEM, Role
from fenpei.http.csrf import CSRF_HEADER, csrf_token
from fenpei.http.sessions import SESSION_COOKIE, sign_session, start_session
from fenpei.services import assignments, org, rules, tokens, users
from fenpei.services.categories import ensure_default_categories, retire_value
from fenpei.services.customers import create_customer
from fenpei.services.files import attachments
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.notifications import subscriptions
from fenpei.services.rules import ensure_default_rule
from fenpei.services.scoring import models as scoring_models
from fenpei.services.sla import policies as sla_policies
from fenpei.services.tasks import workflow as task_workflow
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput
from tests.e2e.conftest import asgi_app
from tests.fakes import FixedClock
from tests.fakes.hasher import QuickArgon2Hasher
from tests.file_samples import tiny_png

CALLERS = (
    "anonymous",
    "rep",
    "other_rep",
    "manager",
    "other_manager",
    "auditor",
    "admin",
    "token",
    "token_without_scope",
)
SESSION_USERS = {
    "rep": Role.rep,
    "other_rep": Role.rep,
    "manager": Role.manager,
    "other_manager": Role.manager,
    "auditor": Role.auditor,
    "admin": Role.admin,
}
PASSWORD = "long enough password"
LEADS_SECRET = "leads-token"


# --- the seeded world ---------------------------------------------------------------------


@dataclass
class World:
    """Ids in the template database, and each session user's id."""

    ids: dict[str, int] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)  # caller -> their notification's id
    tokens: dict[str, str] = field(default_factory=dict)  # scope -> plaintext (admin's)


def _seed(fenpei: Fenpei) -> World:
    world = World()
    now = fenpei.now()
    with fenpei.uow() as uow:
        ensure_default_categories(uow=uow, actor=SYSTEM, now=now)
        ensure_default_rule(uow=uow, actor=SYSTEM, now=now)

        def login(name: str, role: Role, rep_id: int | None = None) -> None:
            user = users.create_user(
                uow=uow,
                hasher=fenpei.hasher,
                username=name,
                password=PASSWORD,
                role=role,
                actor=SYSTEM,
                now=now,
                rep_id=rep_id,
            )
            assert user.id is not None
            world.user_ids[name] = user.id

        for name, role in SESSION_USERS.items():
            if role != Role.rep:  # a rep's login needs its rep: made once the reps are
                login(name, role)
        east = org.create_team(uow=uow, name="East", actor=SYSTEM, now=now)
        west = org.create_team(uow=uow, name="West", actor=SYSTEM, now=now)
        empty = org.create_team(uow=uow, name="Empty", actor=SYSTEM, now=now)
        east.manager_user_id = world.user_ids["manager"]
        west.manager_user_id = world.user_ids["other_manager"]
        moses = org.create_rep(
            uow=uow, fields={"name": "Moses", "team_id": east.id}, actor=SYSTEM, now=now
        )
        darcel = org.create_rep(
            uow=uow, fields={"name": "Darcel", "team_id": east.id}, actor=SYSTEM, now=now
        )
        rosie = org.create_rep(
            uow=uow, fields={"name": "Rosie", "team_id": west.id}, actor=SYSTEM, now=now
        )
        for name, rep in (("rep", moses), ("other_rep", rosie)):
            login(name, Role.rep, rep.id)
        leave = org.add_leave(
            uow=uow,
            rep_id=moses.id or 0,
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=2),
            actor=SYSTEM,
            now=now,
        )
        customer = create_customer(uow=uow, fields={"name": "Acme"}, actor=SYSTEM, now=now)
        pooled = create_customer(uow=uow, fields={"name": "Waiting"}, actor=SYSTEM, now=now)
        pooled.pool = "public"  # as a rule to the pool leaves it
        rule = rules.create_rule(
            uow=uow,
            fields={
                "name": "East",
                "conditions": {"field": "region", "op": "eq", "value": "East"},
                "target": {"kind": "team", "team_id": east.id},
                "strategy": "round_robin",
            },
            actor=SYSTEM,
            now=now,
        )
        retire_value(uow=uow, key="level", code="D", actor=SYSTEM, now=now)
        scopes = sorted(KNOWN_SCOPES - {"*"})
        for scope in scopes:
            _, plaintext = tokens.create_token(
                uow=uow, username="admin", name=scope, scopes=[scope], actor=SYSTEM, now=now
            )
            world.tokens[scope] = plaintext
        revocable, _ = tokens.create_token(
            uow=uow, username="admin", name="revocable", scopes=["*"], actor=SYSTEM, now=now
        )
        subscription = subscriptions.create_subscription(
            uow=uow, actor=SYSTEM, name="crm", url="https://crm.example.com/h", now=now
        )
        policy = sla_policies.create_policy(
            uow=uow,
            fields={"name": "First call", "first_contact_minutes": 120},
            actor=SYSTEM,
            now=now,
        )
        uow.commit()
    with fenpei.uow() as uow:
        assignments.assign(
            uow=uow, customer_id=customer.id or 0, rep_id=moses.id or 0, actor=SYSTEM, now=now
        )
        uow.commit()
    world.notes, world.ids["delivery"] = _seed_notifications(fenpei, world.user_ids, now=now)
    world.ids.update(_seed_tasks(fenpei, moses.id or 0, now=now))
    world.ids.update(_seed_dedupe(fenpei, moses.id or 0, now=now))
    with fenpei.uow() as uow:
        card, _ = scoring_models.save_scorecard(
            uow=uow, actor=SYSTEM, name="card", now=now,
            lines=[{"points": 5, "conditions": {"field": "region", "op": "eq", "value": "East"}}],
        )  # fmt: skip
        uow.commit()
    world.ids["model"] = card.id or 0
    with fenpei.uow() as uow:  # a file of Moses's customer, uploaded by the system
        attachment = attachments.upload(
            uow=uow, store=fenpei.files, customer_id=customer.id or 0,
            stream=io.BytesIO(tiny_png()), file_name="名片.png", actor=SYSTEM, now=now,
            max_bytes=10**6,
        )  # fmt: skip
        uow.commit()
    world.ids["attachment"] = attachment.id or 0
    with fenpei.uow() as uow:  # a follow-up on Moses's customer, logged by the system
        logged = record_follow_up(
            uow=uow, customer_id=customer.id or 0, actor=SYSTEM, kind="phone", at=now,
            content="电话", now=now,
        )  # fmt: skip
        uow.commit()
    world.ids["follow_up"] = logged.id or 0
    world.ids.update(
        east=east.id or 0,
        west=west.id or 0,
        empty_team=empty.id or 0,
        moses=moses.id or 0,
        darcel=darcel.id or 0,
        rosie=rosie.id or 0,
        leave=leave.id or 0,
        customer=customer.id or 0,
        pooled=pooled.id or 0,
        rule=rule.id or 0,
        token=revocable.id or 0,
        subscription=subscription.id or 0,
        policy=policy.id or 0,
        rep_user=world.user_ids["rep"],
    )
    return world


def _seed_dedupe(fenpei: Fenpei, moses: int, *, now: datetime) -> dict[str, int]:
    """Four of Moses's customers, two by two the same phone: one pair merged (a merge to
    undo), the other found by a scan (a pair to review, two customers to merge)."""
    from fenpei.services.dedupe import merge as dedupe_merge
    from fenpei.services.dedupe import scan as dedupe_scan

    with fenpei.uow() as uow:
        made = [
            create_customer(uow=uow, fields={"name": f"Twin {n}", "phone": f"1380000000{n // 2}"},
                            actor=SYSTEM, now=now).id or 0
            for n in range(4)
        ]  # fmt: skip
        uow.commit()
    for customer_id in made:
        with fenpei.uow() as uow:
            assignments.assign(
                uow=uow, customer_id=customer_id, rep_id=moses, actor=SYSTEM, now=now
            )
            uow.commit()
    with fenpei.uow() as uow:
        merged = dedupe_merge.merge_customers(
            uow=uow, actor=SYSTEM, survivor_id=made[2], loser_id=made[3], choices={}, now=now
        )
        dedupe_scan.scan_duplicates(uow=uow, actor=SYSTEM, now=now)
        uow.commit()
        pair = uow.dedupe.find_pair(made[0], made[1])
    assert pair is not None and pair.id is not None and merged.id is not None
    return {"dup_a": made[0], "dup_b": made[1], "pair": pair.id, "merge": merged.id}


def _seed_tasks(fenpei: Fenpei, moses: int, *, now: datetime) -> dict[str, int]:
    """Two of Moses's tasks (made by the system, so no caller is their creator): one open
    with a checklist item, one done (to rate)."""
    with fenpei.uow() as uow:
        made = [
            create_and_route(
                uow=uow,
                actor=SYSTEM,
                now=now,
                assignee_id=moses,
                data=TaskInput(title=title, checklist=["打电话"]),
            )
            for title in ("回电", "已完成")
        ]
        uow.commit()
    with fenpei.uow() as uow:
        task_workflow.complete(uow=uow, actor=SYSTEM, task_id=made[1].id or 0, now=now)
        item = uow.tasks.items(made[0].id or 0)[0]
        uow.commit()
    return {"task": made[0].id or 0, "done_task": made[1].id or 0, "task_item": item.id or 0}


def _seed_notifications(
    fenpei: Fenpei, user_ids: dict[str, int], *, now: datetime
) -> tuple[dict[str, int], int]:
    """An unread notification for every session user (id by caller), and a dead delivery."""
    with fenpei.uow() as uow:
        event = OutboxEvent(EventType.assigned, "evt_matrix", {"customer_id": 1}, occurred_at=now)
        uow.outbox.add(event)
        uow.inbox.add_many(
            [
                Notification(user_id, f"evt_{caller}", EventType.assigned, {}, created_at=now)
                for caller, user_id in user_ids.items()
            ]
        )
        uow.commit()
    assert event.id is not None
    with fenpei.uow() as uow:
        dead = Delivery(
            event_id=event.id,
            channel=Channel.email,
            recipient="rep:1",
            key="evt_matrix:email:rep:1",
            created_at=now,
            next_attempt_at=now,
            status=DeliveryStatus.dead,
            attempts=8,
        )
        uow.outbox.add_deliveries([dead])
        uow.commit()
    with fenpei.uow() as uow:
        notes = {
            caller: note.id or 0
            for caller, user_id in user_ids.items()
            for note in uow.inbox.for_user(user_id)
        }
        delivery = uow.outbox.deliveries(status=DeliveryStatus.dead)[0].id or 0
    return notes, delivery


def _files(template_path: Path) -> LocalFileStore:
    """The attachments' bytes, beside the template database."""
    return LocalFileStore(template_path.parent / "files")


@dataclass(frozen=True)
class Template:
    path: Path
    world: World


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    path = tmp_path_factory.mktemp("matrix") / "template.db"
    fenpei = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=FixedClock())
    fenpei.hasher = QuickArgon2Hasher()  # six users; the logins are signed sessions
    fenpei.files = _files(path)
    upgrade(fenpei.engine)
    world = _seed(fenpei)
    fenpei.close()
    return Template(path, world)


# --- the cases ------------------------------------------------------------------------------

Expect = dict[str, int]
Body = Callable[[World], Any]


def _statuses(ok: int, **overrides: int) -> Expect:
    """Everyone logged in gets ``ok``; anonymous 401; a token lacking the scope 403."""
    base = {caller: ok for caller in CALLERS}
    base.update(anonymous=401, token_without_scope=403)
    base.update(overrides)
    return base


def anyone(ok: int = 200) -> Expect:
    """Any logged-in caller may."""
    return _statuses(ok)


def admins(ok: int = 200) -> Expect:
    """Only an admin (or an admin's token with the scope)."""
    return _statuses(ok, rep=403, other_rep=403, manager=403, other_manager=403, auditor=403)


def readers(ok: int = 200) -> Expect:
    """Admins and auditors, everywhere."""
    return _statuses(ok, rep=403, other_rep=403, manager=403, other_manager=403)


def rule_readers(ok: int = 200) -> Expect:
    """The rule book: admins, managers and auditors read and preview it; reps see none of it."""
    return _statuses(ok, rep=403, other_rep=403)


def writers_in_scope(ok: int = 200) -> Expect:
    """Admins, and East's manager; West's manager finds nothing; reps and auditors may not."""
    return _statuses(ok, rep=403, other_rep=403, other_manager=404, auditor=403)


def writers(ok: int = 201) -> Expect:
    """Admins and managers, creating something new (no scope to be outside of)."""
    return _statuses(ok, rep=403, other_rep=403, auditor=403)


def seen_in_scope(ok: int = 200) -> Expect:
    """Whoever's data scope holds East's record: not West's manager or rep."""
    return _statuses(ok, other_rep=404, other_manager=404)


def public(ok: int = 200) -> Expect:
    return dict.fromkeys(CALLERS, ok)


def pages(ok: int = 200, **overrides: int) -> Expect:
    """HTML: a login is a session; API tokens do not open pages (303 to the login)."""
    return {
        **dict.fromkeys(CALLERS, ok),
        "anonymous": 303,
        "token": 303,
        "token_without_scope": 303,
        **overrides,
    }


def _form_in_scope(ok: int, **overrides: int) -> Expect:
    """A form post about East's record (a customer's, a task's): West does not find it;
    auditors may not write; no CSRF token (anonymous, API tokens) is 403 before anything
    else."""
    return pages(
        ok,
        **{
            "other_rep": 404,
            "other_manager": 404,
            "auditor": 403,
            "anonymous": 403,
            "token": 403,
            "token_without_scope": 403,
            **overrides,
        },
    )


_NOT_IMPORTERS = dict.fromkeys(("rep", "other_rep", "auditor"), 403)


def _importers(ok: int) -> Expect:
    """Imports: admins and managers, East's and West's alike (an import is nobody's data
    scope); reps and auditors may not."""
    return _statuses(ok, **_NOT_IMPORTERS)


_RULE_VIEWERS_ONLY_ADMIN = dict.fromkeys(
    ("rep", "other_rep", "manager", "other_manager", "auditor"), 403
)
_NOT_ADMIN = _RULE_VIEWERS_ONLY_ADMIN


def _rule_form_posts(ok: int, **overrides: int) -> Expect:
    """A rule page's form post: only an admin's succeeds; no CSRF token (anonymous, API
    tokens) is 403 before anything else."""
    return pages(
        ok,
        **{
            **_RULE_VIEWERS_ONLY_ADMIN,
            "anonymous": 403,
            "token": 403,
            "token_without_scope": 403,
            **overrides,
        },
    )


def _clock_posts() -> Expect:
    """Pausing or resuming a clock from the customer page: admins and the customer's
    manager (a second click changes nothing and returns to the page)."""
    return pages(
        303,
        rep=403,
        other_rep=403,
        other_manager=404,
        auditor=403,
        anonymous=403,
        token=403,
        token_without_scope=403,
    )


@dataclass(frozen=True)
class Case:
    path: str  # with {placeholders} filled from World.ids
    expect: Expect
    body: Body | None = None


def _rule_body(world: World) -> dict[str, Any]:
    return {
        "name": "West",
        "conditions": {"field": "region", "op": "eq", "value": "West"},
        "target": {"kind": "team", "team_id": world.ids["west"]},
        "strategy": "round_robin",
    }


def _leave_body(world: World) -> dict[str, Any]:
    return {"starts_at": "2030-01-01T09:00:00+08:00", "ends_at": "2030-01-01T12:00:00+08:00"}


def task_workers(ok: int = 200) -> Expect:
    """Whoever sees East's task works it (Moses is its assignee), but an auditor."""
    return seen_in_scope(ok) | {"auditor": 403}


def task_overseers(ok: int = 200) -> Expect:
    """Its creator (the system here), a manager over it or an admin: not its assignee."""
    return task_workers(ok) | {"rep": 403}


def reps_only(ok: int = 201, **overrides: int) -> Expect:
    """Only a rep (claiming for themself); everyone else 403."""
    return _statuses(
        ok, manager=403, other_manager=403, auditor=403, admin=403, token=403, **overrides
    )


NO_BACKUP = "fenpei-20261102-093000-daily.tar.gz"  # a backup name no archive has

CASES: dict[tuple[str, str], Case] = {
    # --- SLA: policies (admins change, overseers read), clocks, the holiday calendar
    ("GET", "/api/v1/sla-policies"): Case("/api/v1/sla-policies", rule_readers()),
    ("POST", "/api/v1/sla-policies"): Case(
        "/api/v1/sla-policies", admins(201), lambda w: {"name": "B", "first_contact_minutes": 60}
    ),
    ("GET", "/api/v1/sla-policies/{policy_id}"): Case(
        "/api/v1/sla-policies/{policy}", rule_readers()
    ),
    ("PATCH", "/api/v1/sla-policies/{policy_id}"): Case(
        "/api/v1/sla-policies/{policy}", admins(), lambda w: {"name": "C"}
    ),
    ("DELETE", "/api/v1/sla-policies/{policy_id}"): Case(
        "/api/v1/sla-policies/{policy}", admins(204)
    ),
    ("GET", "/api/v1/task-timers"): Case("/api/v1/task-timers", rule_readers()),
    ("GET", "/api/v1/scoring/models"): Case("/api/v1/scoring/models", rule_readers()),
    ("GET", "/api/v1/scoring/models/{model_id}"): Case(
        "/api/v1/scoring/models/{model}", rule_readers()
    ),
    ("POST", "/api/v1/scoring/models/{model_id}/activate"): Case(
        "/api/v1/scoring/models/{model}/activate", admins()
    ),
    ("POST", "/api/v1/scoring/models/deactivate"): Case(
        "/api/v1/scoring/models/deactivate", admins(204), lambda w: {"kind": "scorecard"}
    ),
    ("POST", "/api/v1/scoring/scorecards"): Case(
        "/api/v1/scoring/scorecards",
        admins(201),
        lambda w: {"name": "card 2", "lines": [{"points": 1, "conditions": {}}]},
    ),
    ("GET", "/api/v1/scoring/settings"): Case("/api/v1/scoring/settings", rule_readers()),
    ("PUT", "/api/v1/scoring/settings"): Case(
        "/api/v1/scoring/settings",
        admins(),
        lambda w: {"grade_basis": "score", "thresholds": {"A": 9}},
    ),
    ("GET", "/api/v1/scoring/customers/{customer_id}"): Case(
        "/api/v1/scoring/customers/{customer}", seen_in_scope()
    ),
    ("GET", "/api/v1/task-origins"): Case("/api/v1/task-origins", rule_readers()),
    ("PUT", "/api/v1/task-origins"): Case(
        "/api/v1/task-origins", admins(), lambda w: {"sla": True}
    ),
    ("PUT", "/api/v1/task-timers/{priority}"): Case(
        "/api/v1/task-timers/high", admins(), lambda w: {"remind_before_hours": 1.5}
    ),
    ("GET", "/api/v1/customers/{customer_id}/sla"): Case(
        "/api/v1/customers/{customer}/sla", seen_in_scope()
    ),
    ("POST", "/api/v1/customers/{customer_id}/sla/pause"): Case(
        "/api/v1/customers/{customer}/sla/pause", writers_in_scope()
    ),
    ("POST", "/api/v1/customers/{customer_id}/sla/resume"): Case(
        "/api/v1/customers/{customer}/sla/resume", writers_in_scope(409)
    ),
    ("GET", "/api/v1/holidays/{year}"): Case("/api/v1/holidays/2026", anyone()),
    ("PUT", "/api/v1/holidays/{year}"): Case(
        "/api/v1/holidays/2027", admins(), lambda w: {"csv": "2027-10-01,holiday,国庆节"}
    ),
    ("DELETE", "/api/v1/holidays/{year}"): Case("/api/v1/holidays/2027", admins(204)),
    # --- the pool
    ("GET", "/api/v1/pools"): Case("/api/v1/pools", anyone()),
    ("PUT", "/api/v1/pools/{key}"): Case(
        "/api/v1/pools/public", admins(), lambda w: {"name": "公海"}
    ),
    ("GET", "/api/v1/pools/{key}/customers"): Case("/api/v1/pools/public/customers", anyone()),
    ("POST", "/api/v1/pools/claims"): Case(
        "/api/v1/pools/claims", reps_only(), lambda w: {"customer_id": w.ids["pooled"]}
    ),
    ("POST", "/api/v1/pools/returns"): Case(
        "/api/v1/pools/returns",
        _statuses(201, other_rep=404, other_manager=404, auditor=403),
        lambda w: {"customer_id": w.ids["customer"], "reason": "other"},
    ),
    ("GET", "/api/v1/pools/reclaim-plan"): Case("/api/v1/pools/reclaim-plan", writers(200)),
    ("POST", "/api/v1/pools/reclaim"): Case("/api/v1/pools/reclaim", admins()),
    # redistributing a pool under East's rule (a dry run): admins and East's manager; West's
    # manager may not give customers to East's reps; reps and auditors may not at all
    ("POST", "/api/v1/pools/{key}/redistribute"): Case(
        "/api/v1/pools/public/redistribute",
        _statuses(200, rep=403, other_rep=403, other_manager=403, auditor=403),
        lambda w: {"rule_id": w.ids["rule"]},
    ),
    ("PUT", "/api/v1/customers/{customer_id}/key-account"): Case(
        "/api/v1/customers/{customer}/key-account",
        _statuses(200, other_rep=404, other_manager=404, auditor=403),
        lambda w: {"key_account": True},
    ),
    # moving between pools: admins, and East's manager into East's pool; West's manager
    # does not see East's pool (404); reps and auditors may not
    ("POST", "/api/v1/pools/{key}/move"): Case(
        "/api/v1/pools/public/move",
        _statuses(201, rep=403, other_rep=403, other_manager=404, auditor=403),
        lambda w: {"customer_ids": [w.ids["pooled"]], "to_pool": f"team:{w.ids['east']}"},
    ),
    # pushing from a pool to a rep (分配给…): admins, and East's manager to Moses; West's
    # manager does not see Moses (404); reps and auditors may not
    ("POST", "/api/v1/pools/{key}/push"): Case(
        "/api/v1/pools/public/push",
        _statuses(201, rep=403, other_rep=403, other_manager=404, auditor=403),
        lambda w: {"customer_ids": [w.ids["pooled"]], "rep_id": w.ids["moses"]},
    ),
    # the duplicate check: anyone logged in, told as their scope allows
    ("GET", "/api/v1/customers/duplicates"): Case(
        "/api/v1/customers/duplicates?company=Acme", anyone()
    ),
    # operations
    ("GET", "/healthz"): Case("/healthz", public()),
    ("GET", "/metrics"): Case("/metrics", public()),
    ("GET", "/openapi.json"): Case("/openapi.json", public()),
    ("GET", "/docs"): Case("/docs", public()),
    ("GET", "/docs/oauth2-redirect"): Case("/docs/oauth2-redirect", public()),
    # customers
    ("GET", "/api/v1/customers"): Case("/api/v1/customers", anyone()),
    ("GET", "/api/v1/customers/{customer_id}"): Case(
        "/api/v1/customers/{customer}", seen_in_scope()
    ),
    ("GET", "/api/v1/customers/{customer_id}/history"): Case(
        "/api/v1/customers/{customer}/history", seen_in_scope()
    ),
    ("POST", "/api/v1/customers"): Case(
        "/api/v1/customers?route=false", writers(), lambda w: {"name": "New"}
    ),
    ("PATCH", "/api/v1/customers/{customer_id}"): Case(
        "/api/v1/customers/{customer}", writers_in_scope(), lambda w: {"level": "A"}
    ),
    ("DELETE", "/api/v1/customers/{customer_id}"): Case(
        "/api/v1/customers/{customer}", writers_in_scope(204)
    ),
    # tasks: anyone but an auditor creates; whoever sees one works it; its creator, a
    # manager over it or an admin edits, reassigns, routes, rates and chases it
    ("GET", "/api/v1/tasks"): Case("/api/v1/tasks", anyone()),
    ("POST", "/api/v1/tasks"): Case(
        "/api/v1/tasks", _statuses(201, auditor=403), lambda w: {"title": "新任务"}
    ),
    ("GET", "/api/v1/tasks/stats"): Case("/api/v1/tasks/stats", anyone()),
    ("GET", "/api/v1/tasks/{task_id}"): Case("/api/v1/tasks/{task}", seen_in_scope()),
    ("PATCH", "/api/v1/tasks/{task_id}"): Case(
        "/api/v1/tasks/{task}", task_overseers(), lambda w: {"priority": "urgent"}
    ),
    ("POST", "/api/v1/tasks/{task_id}/status"): Case(
        "/api/v1/tasks/{task}/status", task_workers(), lambda w: {"status": "in_progress"}
    ),
    ("POST", "/api/v1/tasks/{task_id}/progress"): Case(
        "/api/v1/tasks/{task}/progress", task_workers(), lambda w: {"progress": 30}
    ),
    ("POST", "/api/v1/tasks/{task_id}/assign"): Case(
        "/api/v1/tasks/{task}/assign", task_overseers(), lambda w: {"rep_id": w.ids["darcel"]}
    ),
    ("POST", "/api/v1/tasks/{task_id}/route"): Case("/api/v1/tasks/{task}/route", task_overseers()),
    ("POST", "/api/v1/tasks/{task_id}/checklist"): Case(
        "/api/v1/tasks/{task}/checklist", task_workers(201), lambda w: {"text": "报价"}
    ),
    ("PATCH", "/api/v1/tasks/{task_id}/checklist/{item_id}"): Case(
        "/api/v1/tasks/{task}/checklist/{task_item}", task_workers(), lambda w: {"done": True}
    ),
    ("DELETE", "/api/v1/tasks/{task_id}/checklist/{item_id}"): Case(
        "/api/v1/tasks/{task}/checklist/{task_item}", task_workers(204)
    ),
    ("POST", "/api/v1/tasks/{task_id}/comments"): Case(
        "/api/v1/tasks/{task}/comments", task_workers(201), lambda w: {"body": "收到"}
    ),
    ("POST", "/api/v1/tasks/{task_id}/complete"): Case(
        "/api/v1/tasks/{task}/complete", task_workers(), lambda w: {"difficulty": 2}
    ),
    ("POST", "/api/v1/tasks/{task_id}/rate"): Case(
        "/api/v1/tasks/{done_task}/rate",
        task_overseers(),
        lambda w: {"quality": 4, "satisfaction": 5},
    ),
    ("POST", "/api/v1/tasks/{task_id}/chase"): Case(
        "/api/v1/tasks/{task}/chase", task_overseers(), lambda w: {"note": "请尽快"}
    ),
    # follow-ups and stages: the owner rep, or a writer whose scope holds the customer
    ("GET", "/api/v1/customers/{customer_id}/follow-ups"): Case(
        "/api/v1/customers/{customer}/follow-ups", seen_in_scope()
    ),
    ("POST", "/api/v1/customers/{customer_id}/follow-ups"): Case(
        "/api/v1/customers/{customer}/follow-ups",
        seen_in_scope(201) | {"auditor": 403},
        lambda w: {"kind": "phone", "content": "电话沟通"},
    ),
    # correcting a follow-up: its author (the system here) or an admin; an auditor never
    ("PATCH", "/api/v1/customers/{customer_id}/follow-ups/{follow_up_id}"): Case(
        "/api/v1/customers/{customer}/follow-ups/{follow_up}",
        seen_in_scope() | {"rep": 403, "manager": 403, "auditor": 403},
        lambda w: {"content": "电话沟通，已更正"},
    ),
    ("POST", "/api/v1/customers/{customer_id}/stage"): Case(
        "/api/v1/customers/{customer}/stage",
        seen_in_scope() | {"auditor": 403},
        lambda w: {"stage": "qualified", "reason": "有预算"},
    ),
    # attachments (资料): whoever sees the customer reads them; an upload without a file is
    # refused (422) by every logged-in caller's request before any other check; the
    # uploader (the system here), a manager in scope or an admin deletes
    ("GET", "/api/v1/customers/{customer_id}/attachments"): Case(
        "/api/v1/customers/{customer}/attachments", seen_in_scope()
    ),
    ("POST", "/api/v1/customers/{customer_id}/attachments"): Case(
        "/api/v1/customers/{customer}/attachments", _statuses(422)
    ),
    ("GET", "/api/v1/attachments/{attachment_id}"): Case(
        "/api/v1/attachments/{attachment}", seen_in_scope()
    ),
    ("GET", "/api/v1/attachments/{attachment_id}/content"): Case(
        "/api/v1/attachments/{attachment}/content", seen_in_scope()
    ),
    ("DELETE", "/api/v1/attachments/{attachment_id}"): Case(
        "/api/v1/attachments/{attachment}", seen_in_scope(204) | {"rep": 403, "auditor": 403}
    ),
    ("GET", "/api/v1/customers/{customer_id}/timeline"): Case(
        "/api/v1/customers/{customer}/timeline", seen_in_scope()
    ),
    # assignments
    ("POST", "/api/v1/assignments"): Case(
        "/api/v1/assignments",
        writers_in_scope(201),
        lambda w: {"customer_id": w.ids["customer"], "rep_id": w.ids["darcel"], "reason": "r"},
    ),
    ("POST", "/api/v1/assignments/bulk"): Case(
        "/api/v1/assignments/bulk",
        writers_in_scope(201),
        lambda w: {
            "customer_ids": [w.ids["customer"]],
            "rep_ids": [w.ids["darcel"]],
            "reason": "r",
        },
    ),
    # leads
    ("POST", "/api/v1/leads"): Case("/api/v1/leads", writers(), lambda w: {"name": "Lead"}),
    # Signed, not logged in: no signature headers is 401 for every caller.
    ("POST", "/api/v1/webhooks/leads"): Case(
        "/api/v1/webhooks/leads",
        {**dict.fromkeys(CALLERS, 401), "token_without_scope": 403},
        lambda w: {"name": "Lead"},
    ),
    ("POST", "/api/v1/webhooks/tasks"): Case(
        "/api/v1/webhooks/tasks",
        {**dict.fromkeys(CALLERS, 401), "token_without_scope": 403},
        lambda w: {"title": "T"},
    ),
    # CRM sync: admins only; no connection is configured here, so a named one is 404.
    ("GET", "/api/v1/sync/connections"): Case("/api/v1/sync/connections", admins()),
    ("POST", "/api/v1/sync/connections/{connection}/run"): Case(
        "/api/v1/sync/connections/nope/run", admins(404)
    ),
    ("POST", "/api/v1/sync/connections/{connection}/reset-cursor"): Case(
        "/api/v1/sync/connections/nope/reset-cursor", admins(404)
    ),
    ("GET", "/api/v1/sync/connections/{connection}/assignments.csv"): Case(
        "/api/v1/sync/connections/nope/assignments.csv", admins(404)
    ),
    ("POST", "/api/v1/webhooks/sync/{connection}"): Case(
        "/api/v1/webhooks/sync/nope",
        {**dict.fromkeys(CALLERS, 401), "token_without_scope": 403},
        lambda w: {"records": []},
    ),
    # rules
    # rules: the rule book is read whole by admins, managers and auditors, or not at all
    ("GET", "/api/v1/rules"): Case("/api/v1/rules", rule_readers()),
    ("GET", "/api/v1/rules/{rule_id}"): Case("/api/v1/rules/{rule}", rule_readers()),
    ("GET", "/api/v1/rules/{rule_id}/versions"): Case(
        "/api/v1/rules/{rule}/versions", rule_readers()
    ),
    ("POST", "/api/v1/rules"): Case("/api/v1/rules", admins(201), _rule_body),
    ("POST", "/api/v1/rules/reorder"): Case(
        "/api/v1/rules/reorder", admins(), lambda w: {"rule_ids": [w.ids["rule"]]}
    ),
    # A preview names every rep it passes over and why (on leave, at capacity).
    ("POST", "/api/v1/rules/preview"): Case(
        "/api/v1/rules/preview", rule_readers(), lambda w: {"name": "X", "region": "East"}
    ),
    ("POST", "/api/v1/rules/preview-task"): Case(
        "/api/v1/rules/preview-task", rule_readers(), lambda w: {"priority": "urgent"}
    ),
    ("PATCH", "/api/v1/rules/{rule_id}"): Case(
        "/api/v1/rules/{rule}", admins(), lambda w: {"name": "East 2"}
    ),
    ("DELETE", "/api/v1/rules/{rule_id}"): Case("/api/v1/rules/{rule}", admins(204)),
    ("POST", "/api/v1/rules/{rule_id}/enable"): Case("/api/v1/rules/{rule}/enable", admins()),
    ("POST", "/api/v1/rules/{rule_id}/disable"): Case("/api/v1/rules/{rule}/disable", admins()),
    ("POST", "/api/v1/rules/{rule_id}/versions/{version}/restore"): Case(
        "/api/v1/rules/{rule}/versions/1/restore", admins()
    ),
    # the org: readable by everyone logged in; changed by admins, and within a manager's
    # tree by the manager (availability, capacity, leave); a rep switches their own away.
    ("GET", "/api/v1/reps"): Case("/api/v1/reps", anyone()),
    ("GET", "/api/v1/reps/{rep_id}"): Case("/api/v1/reps/{moses}", anyone()),
    ("POST", "/api/v1/reps"): Case(
        "/api/v1/reps", admins(201), lambda w: {"name": "New Rep", "team_id": w.ids["east"]}
    ),
    ("PATCH", "/api/v1/reps/{rep_id}"): Case(
        "/api/v1/reps/{moses}",
        _statuses(200, other_rep=404, other_manager=404, auditor=403),
        lambda w: {"away": True},
    ),
    ("GET", "/api/v1/reps/{rep_id}/leaves"): Case("/api/v1/reps/{moses}/leaves", seen_in_scope()),
    ("POST", "/api/v1/reps/{rep_id}/leaves"): Case(
        "/api/v1/reps/{moses}/leaves", writers_in_scope(201), _leave_body
    ),
    ("DELETE", "/api/v1/reps/{rep_id}/leaves/{leave_id}"): Case(
        "/api/v1/reps/{moses}/leaves/{leave}", writers_in_scope(204)
    ),
    ("GET", "/api/v1/teams"): Case("/api/v1/teams", anyone()),
    ("GET", "/api/v1/teams/{team_id}"): Case("/api/v1/teams/{east}", anyone()),
    ("POST", "/api/v1/teams"): Case("/api/v1/teams", admins(201), lambda w: {"name": "North"}),
    ("PATCH", "/api/v1/teams/{team_id}"): Case(
        "/api/v1/teams/{east}", admins(), lambda w: {"name": "East 2"}
    ),
    ("DELETE", "/api/v1/teams/{team_id}"): Case("/api/v1/teams/{empty_team}", admins(204)),
    # categories (分类管理): everyone reads, admins change
    ("GET", "/api/v1/categories"): Case("/api/v1/categories", anyone()),
    ("POST", "/api/v1/categories/{key}/values"): Case(
        "/api/v1/categories/level/values", admins(201), lambda w: {"code": "E"}
    ),
    ("PATCH", "/api/v1/categories/{key}/values/{code}"): Case(
        "/api/v1/categories/level/values/A", admins(), lambda w: {"label": "Gold"}
    ),
    ("POST", "/api/v1/categories/{key}/values/{code}/merge"): Case(
        "/api/v1/categories/level/values/C/merge", admins(), lambda w: {"into": "B"}
    ),
    ("POST", "/api/v1/categories/{key}/values/{code}/retire"): Case(
        "/api/v1/categories/level/values/B/retire", admins()
    ),
    ("POST", "/api/v1/categories/{key}/values/{code}/restore"): Case(
        "/api/v1/categories/level/values/D/restore", admins()
    ),
    # audit
    ("GET", "/api/v1/audit"): Case("/api/v1/audit", readers()),
    # tokens: anyone may list and make their own; revoking an admin's token is for admins
    # (to anyone else it does not exist).
    ("GET", "/api/v1/tokens"): Case("/api/v1/tokens", anyone()),
    ("POST", "/api/v1/tokens"): Case(
        "/api/v1/tokens", anyone(201), lambda w: {"name": "mine", "scopes": ["tokens:write"]}
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): Case(
        "/api/v1/tokens/{token}",
        _statuses(204, rep=404, other_rep=404, manager=404, other_manager=404, auditor=404),
    ),
    # notifications: everyone reads and marks their own inbox (the admin's token: the admin's)
    ("GET", "/api/v1/notifications"): Case("/api/v1/notifications", anyone()),
    ("GET", "/api/v1/notifications/unread-count"): Case(
        "/api/v1/notifications/unread-count", anyone()
    ),
    ("POST", "/api/v1/notifications/read"): Case(
        "/api/v1/notifications/read", anyone(), lambda w: {"all": True}
    ),
    # deliveries (the dead letters): admins only
    ("GET", "/api/v1/deliveries"): Case("/api/v1/deliveries", admins()),
    ("POST", "/api/v1/deliveries/{delivery_id}/retry"): Case(
        "/api/v1/deliveries/{delivery}/retry", admins()
    ),
    # scheduled jobs: admins only (a run by hand runs retry-queue on the caller's copy)
    ("GET", "/api/v1/jobs"): Case("/api/v1/jobs", admins()),
    ("GET", "/api/v1/jobs/{name}/runs"): Case("/api/v1/jobs/retry-queue/runs", admins()),
    ("POST", "/api/v1/jobs/{name}/run"): Case("/api/v1/jobs/retry-queue/run", admins()),
    # imports: admins and managers (no import in the world: 404; no file: 422)
    ("GET", "/api/v1/imports"): Case("/api/v1/imports", _importers(200)),
    ("POST", "/api/v1/imports"): Case("/api/v1/imports", _importers(422)),
    ("GET", "/api/v1/imports/{import_id}"): Case("/api/v1/imports/999", _importers(404)),
    ("GET", "/api/v1/imports/{import_id}/errors"): Case(
        "/api/v1/imports/999/errors", _importers(404)
    ),
    # backups: admins only (a backup by hand backs up the caller's copy; no archive has the
    # download's name, so the admin's answer is 404)
    ("GET", "/api/v1/backups"): Case("/api/v1/backups", admins()),
    ("POST", "/api/v1/backups"): Case("/api/v1/backups", admins(201)),
    ("GET", "/api/v1/backups/{name}"): Case(f"/api/v1/backups/{NO_BACKUP}", admins(404)),
    # webhook subscriptions: admins only
    ("GET", "/api/v1/subscriptions"): Case("/api/v1/subscriptions", admins()),
    ("POST", "/api/v1/subscriptions"): Case(
        "/api/v1/subscriptions",
        admins(201),
        lambda w: {"name": "erp", "url": "https://erp.example.com/h"},
    ),
    ("GET", "/api/v1/subscriptions/{subscription_id}"): Case(
        "/api/v1/subscriptions/{subscription}", admins()
    ),
    ("PATCH", "/api/v1/subscriptions/{subscription_id}"): Case(
        "/api/v1/subscriptions/{subscription}", admins(), lambda w: {"active": False}
    ),
    ("DELETE", "/api/v1/subscriptions/{subscription_id}"): Case(
        "/api/v1/subscriptions/{subscription}", admins(204)
    ),
    ("POST", "/api/v1/subscriptions/{subscription_id}/rotate-secret"): Case(
        "/api/v1/subscriptions/{subscription}/rotate-secret", admins()
    ),
    ("POST", "/api/v1/subscriptions/{subscription_id}/test"): Case(
        "/api/v1/subscriptions/{subscription}/test", admins(202)
    ),
    ("GET", "/api/v1/subscriptions/{subscription_id}/deliveries"): Case(
        "/api/v1/subscriptions/{subscription}/deliveries", admins()
    ),
    # notification preferences: everyone their own; role defaults for admins
    ("GET", "/api/v1/account/notifications"): Case("/api/v1/account/notifications", anyone()),
    ("PUT", "/api/v1/account/notifications"): Case(
        "/api/v1/account/notifications",
        anyone(),
        lambda w: {
            "email_events": ["customer.assigned"],
            "quiet_start": "22:00",
            "quiet_end": "07:00",
        },
    ),
    ("GET", "/api/v1/notification-defaults/{role}"): Case(
        "/api/v1/notification-defaults/rep", admins()
    ),
    ("PUT", "/api/v1/notification-defaults/{role}"): Case(
        "/api/v1/notification-defaults/rep", admins(), lambda w: {"email_events": []}
    ),
    # Everyone may change their own password (a wrong current one here: 422).
    ("POST", "/api/v1/account/password"): Case(
        "/api/v1/account/password",
        anyone(422),
        lambda w: {"current_password": "not the password", "new_password": "a new long password"},
    ),
    # pages
    ("GET", "/login"): Case("/login", public()),
    ("GET", "/account/password"): Case("/account/password", pages()),
    # notification settings: everyone their own (an empty form: the role default); the
    # role defaults' form posts are for admins
    ("GET", "/account/notifications"): Case("/account/notifications", pages()),
    ("POST", "/account/notifications"): Case(
        "/account/notifications", pages(303, anonymous=403, token=403, token_without_scope=403)
    ),
    ("POST", "/admin/notification-defaults/{role}"): Case(
        "/admin/notification-defaults/rep", _rule_form_posts(303)
    ),
    ("POST", "/account/password"): Case(
        "/account/password", pages(422, anonymous=403, token=403, token_without_scope=403)
    ),
    # Form posts need the CSRF token, which only the callers with a page session send
    # here; the login form itself is then 400 (no username) rather than a login.
    ("POST", "/login"): Case(
        "/login", pages(400, anonymous=403, token=403, token_without_scope=403)
    ),
    ("POST", "/logout"): Case(
        "/logout", pages(303, anonymous=403, token=403, token_without_scope=403)
    ),
    ("GET", "/"): Case("/", pages(303)),
    ("GET", "/customers"): Case("/customers", pages()),
    # rule pages: admins change; managers and auditors look; reps get 403
    ("GET", "/rules"): Case("/rules", pages(rep=403, other_rep=403)),
    ("GET", "/rules/new"): Case("/rules/new", pages(**_RULE_VIEWERS_ONLY_ADMIN)),
    ("GET", "/rules/{rule_id}"): Case("/rules/{rule}", pages(rep=403, other_rep=403)),
    ("GET", "/rules/{rule_id}/versions"): Case(
        "/rules/{rule}/versions", pages(rep=403, other_rep=403)
    ),
    # An empty form: the admin's editor comes back with the errors (422).
    ("POST", "/rules"): Case("/rules", _rule_form_posts(422)),
    ("POST", "/rules/{rule_id}"): Case("/rules/{rule}", _rule_form_posts(422)),
    ("POST", "/rules/check"): Case(
        "/rules/check", _rule_form_posts(200, manager=200, other_manager=200, auditor=200)
    ),
    ("POST", "/rules/try"): Case(
        "/rules/try", _rule_form_posts(200, manager=200, other_manager=200, auditor=200)
    ),
    ("POST", "/rules/{rule_id}/enabled"): Case("/rules/{rule}/enabled", _rule_form_posts(303)),
    ("POST", "/rules/{rule_id}/move/{direction}"): Case(
        "/rules/{rule}/move/up", _rule_form_posts(303)
    ),
    ("POST", "/rules/{rule_id}/delete"): Case("/rules/{rule}/delete", _rule_form_posts(303)),
    ("POST", "/rules/{rule_id}/versions/{version}/restore"): Case(
        "/rules/{rule}/versions/1/restore", _rule_form_posts(303)
    ),
    ("GET", "/customers/{customer_id}"): Case(
        "/customers/{customer}", pages(other_rep=404, other_manager=404)
    ),
    # customer forms: reps and auditors may not; an empty form is 422 (nothing chosen)
    ("GET", "/my"): Case("/my", pages()),
    ("GET", "/customers/new"): Case("/customers/new", pages(rep=403, other_rep=403, auditor=403)),
    ("POST", "/customers/new"): Case(
        "/customers/new",
        pages(
            422,
            rep=403,
            other_rep=403,
            auditor=403,
            anonymous=403,
            token=403,
            token_without_scope=403,
        ),
    ),
    ("POST", "/customers/bulk"): Case(
        "/customers/bulk",
        pages(
            422,
            rep=403,
            other_rep=403,
            auditor=403,
            anonymous=403,
            token=403,
            token_without_scope=403,
        ),
    ),
    ("POST", "/customers/bulk/matching"): Case(
        "/customers/bulk/matching",
        pages(
            422,
            rep=403,
            other_rep=403,
            auditor=403,
            anonymous=403,
            token=403,
            token_without_scope=403,
        ),
    ),
    ("POST", "/customers/{customer_id}/reassign"): Case(
        "/customers/{customer}/reassign",
        pages(
            422,
            rep=403,
            other_rep=403,
            auditor=403,
            other_manager=404,
            anonymous=403,
            token=403,
            token_without_scope=403,
        ),
    ),
    # the pool page: anyone logged in reads it; only a rep claims, only the owner returns
    ("GET", "/pool"): Case("/pool", pages()),
    ("POST", "/pool/claim"): Case(
        "/pool/claim",
        pages(422, anonymous=403, token=403, token_without_scope=403),
    ),
    # the follow-up and stage forms: the owner rep and writers in scope (an empty form: 422)
    ("POST", "/customers/{customer_id}/follow-ups"): Case(
        "/customers/{customer}/follow-ups",
        _form_in_scope(422),
    ),
    # the correction form: as the API, and an empty form is 422 (an admin's)
    ("POST", "/customers/{customer_id}/follow-ups/{follow_up_id}"): Case(
        "/customers/{customer}/follow-ups/{follow_up}",
        _form_in_scope(422, rep=403, manager=403),
    ),
    ("POST", "/customers/{customer_id}/attachments"): Case(
        "/customers/{customer}/attachments",
        _form_in_scope(422),
    ),
    ("GET", "/attachments/{attachment_id}"): Case(
        "/attachments/{attachment}", pages(other_rep=404, other_manager=404)
    ),
    ("POST", "/attachments/{attachment_id}/delete"): Case(
        "/attachments/{attachment}/delete",
        _form_in_scope(303, rep=403),
    ),
    ("POST", "/customers/{customer_id}/stage"): Case(
        "/customers/{customer}/stage",
        _form_in_scope(422),
    ),
    ("GET", "/pool/redistribute"): Case(
        "/pool/redistribute", pages(rep=403, other_rep=403, auditor=403)
    ),
    ("POST", "/pool/redistribute"): Case(
        "/pool/redistribute",
        pages(
            422,
            rep=403,
            other_rep=403,
            auditor=403,
            anonymous=403,
            token=403,
            token_without_scope=403,
        ),
    ),
    ("POST", "/pool/move"): Case(
        "/pool/move",
        pages(
            422,
            rep=403,
            other_rep=403,
            auditor=403,
            anonymous=403,
            token=403,
            token_without_scope=403,
        ),
    ),
    ("POST", "/pool/push"): Case(
        "/pool/push",
        pages(
            422,
            rep=403,
            other_rep=403,
            auditor=403,
            anonymous=403,
            token=403,
            token_without_scope=403,
        ),
    ),
    ("POST", "/customers/{customer_id}/return"): Case(
        "/customers/{customer}/return",
        _form_in_scope(303),
    ),
    # pool settings (admins) and a customer's key-account mark (its rep, managers in scope)
    ("GET", "/pool/settings"): Case(
        "/pool/settings",
        pages(rep=403, other_rep=403, manager=403, other_manager=403, auditor=403),
    ),
    # the task pages: anyone logged in reads the lists (their own scope); a task of East's
    # is not found by West; forms need a worker (auditors may not), an empty form is 422
    ("GET", "/tasks"): Case("/tasks", pages()),
    ("GET", "/tasks/board"): Case("/tasks/board", pages()),
    ("GET", "/tasks/calendar"): Case("/tasks/calendar", pages()),
    ("GET", "/tasks/new"): Case("/tasks/new", pages(auditor=403)),
    ("POST", "/tasks/new"): Case(
        "/tasks/new", _form_in_scope(422, other_rep=422, other_manager=422)
    ),
    ("GET", "/tasks/{task_id}"): Case("/tasks/{task}", pages(other_rep=404, other_manager=404)),
    ("POST", "/tasks/{task_id}/status"): Case("/tasks/{task}/status", _form_in_scope(422)),
    ("POST", "/tasks/{task_id}/progress"): Case("/tasks/{task}/progress", _form_in_scope(422)),
    ("POST", "/tasks/{task_id}/checklist"): Case("/tasks/{task}/checklist", _form_in_scope(422)),
    ("POST", "/tasks/{task_id}/checklist/{item_id}"): Case(
        "/tasks/{task}/checklist/{task_item}", _form_in_scope(303)
    ),
    ("POST", "/tasks/{task_id}/checklist/{item_id}/remove"): Case(
        "/tasks/{task}/checklist/{task_item}/remove", _form_in_scope(303)
    ),
    ("POST", "/tasks/{task_id}/comments"): Case("/tasks/{task}/comments", _form_in_scope(422)),
    # an empty completion is a completion (difficulty and note are optional)
    ("POST", "/tasks/{task_id}/complete"): Case("/tasks/{task}/complete", _form_in_scope(303)),
    # rating and 催办 are for the creator (here the system), a manager over it or an admin
    ("POST", "/tasks/{task_id}/rate"): Case("/tasks/{task}/rate", _form_in_scope(422, rep=403)),
    ("POST", "/tasks/{task_id}/chase"): Case("/tasks/{task}/chase", _form_in_scope(303, rep=403)),
    ("POST", "/pool/settings"): Case(
        "/pool/settings",
        pages(
            422,
            rep=403,
            other_rep=403,
            manager=403,
            other_manager=403,
            auditor=403,
            anonymous=403,
            token=403,
            token_without_scope=403,
        ),
    ),
    ("POST", "/pool/settings/reclaim"): Case(
        "/pool/settings/reclaim",
        pages(
            303,
            rep=403,
            other_rep=403,
            manager=403,
            other_manager=403,
            auditor=403,
            anonymous=403,
            token=403,
            token_without_scope=403,
        ),
    ),
    ("POST", "/customers/{customer_id}/key-account"): Case(
        "/customers/{customer}/key-account",
        _form_in_scope(303),
    ),
    # the SLA page (overseers read it, admins change it) and a clock's pause / resume
    ("GET", "/admin/sla"): Case("/admin/sla", pages(rep=403, other_rep=403)),
    ("POST", "/admin/sla/policies"): Case("/admin/sla/policies", _rule_form_posts(422)),
    ("POST", "/admin/sla/policies/{policy_id}"): Case(
        "/admin/sla/policies/{policy}", _rule_form_posts(422)
    ),
    ("POST", "/admin/sla/policies/{policy_id}/active"): Case(
        "/admin/sla/policies/{policy}/active", _rule_form_posts(303)
    ),
    ("POST", "/admin/sla/policies/{policy_id}/delete"): Case(
        "/admin/sla/policies/{policy}/delete", _rule_form_posts(303)
    ),
    ("GET", "/admin/task-timers"): Case("/admin/task-timers", pages(rep=403, other_rep=403)),
    # Training a model: admins only; the seeded history is too small to train on (422).
    ("GET", "/admin/scoring/train"): Case("/admin/scoring/train", pages(**_NOT_ADMIN)),
    ("POST", "/admin/scoring/train"): Case("/admin/scoring/train", _rule_form_posts(422)),
    ("GET", "/admin/scoring"): Case("/admin/scoring", pages(rep=403, other_rep=403)),
    ("POST", "/admin/scoring/models/{model_id}/activate"): Case(
        "/admin/scoring/models/{model}/activate", _rule_form_posts(303)
    ),
    ("POST", "/admin/scoring/kinds/{kind}/deactivate"): Case(
        "/admin/scoring/kinds/scorecard/deactivate", _rule_form_posts(303)
    ),
    ("POST", "/admin/scoring/settings"): Case("/admin/scoring/settings", _rule_form_posts(422)),
    ("GET", "/admin/scoring/scorecard"): Case(
        "/admin/scoring/scorecard", pages(rep=403, other_rep=403)
    ),
    ("POST", "/admin/scoring/scorecard/lines"): Case(
        "/admin/scoring/scorecard/lines", _rule_form_posts(422)
    ),
    ("POST", "/admin/scoring/scorecard/lines/{index}/delete"): Case(
        "/admin/scoring/scorecard/lines/0/delete", _rule_form_posts(303)
    ),
    ("POST", "/admin/scoring/scorecard/check"): Case(
        "/admin/scoring/scorecard/check",
        _rule_form_posts(200, manager=200, other_manager=200, auditor=200),
    ),
    ("POST", "/admin/task-timers/origins"): Case(
        "/admin/task-timers/origins", _rule_form_posts(303)
    ),
    ("POST", "/admin/task-timers/{priority}"): Case(
        "/admin/task-timers/high", _rule_form_posts(422)
    ),
    ("POST", "/admin/sla/holidays"): Case(
        "/admin/sla/holidays", pages(422, anonymous=403, token=403, token_without_scope=403)
    ),
    ("POST", "/admin/sla/holidays/delete"): Case(
        "/admin/sla/holidays/delete", pages(422, anonymous=403, token=403, token_without_scope=403)
    ),
    ("POST", "/customers/{customer_id}/sla/pause"): Case(
        "/customers/{customer}/sla/pause", _clock_posts()
    ),
    ("POST", "/customers/{customer_id}/sla/resume"): Case(
        "/customers/{customer}/sla/resume", _clock_posts()
    ),
    # dashboard, org and categories pages (forms post form fields; these bodies are empty)
    ("GET", "/dashboard"): Case("/dashboard", pages(rep=403, other_rep=403, auditor=403)),
    # duplicates and merge (查重合并): writers over both customers; scan and undo: admins
    ("POST", "/api/v1/dedupe/scan"): Case("/api/v1/dedupe/scan", admins()),
    ("GET", "/api/v1/dedupe/pairs"): Case(
        "/api/v1/dedupe/pairs", _statuses(200, rep=403, other_rep=403, auditor=403)
    ),
    ("POST", "/api/v1/dedupe/pairs/{pair_id}/dismiss"): Case(
        "/api/v1/dedupe/pairs/{pair}/dismiss", writers_in_scope()
    ),
    ("POST", "/api/v1/dedupe/pairs/{pair_id}/reopen"): Case(
        "/api/v1/dedupe/pairs/{pair}/reopen", writers_in_scope()
    ),
    ("GET", "/api/v1/dedupe/preview"): Case(
        "/api/v1/dedupe/preview?survivor_id={dup_a}&loser_id={dup_b}", writers_in_scope()
    ),
    ("POST", "/api/v1/dedupe/merges"): Case(
        "/api/v1/dedupe/merges",
        writers_in_scope(201),
        lambda w: {"survivor_id": w.ids["dup_a"], "loser_id": w.ids["dup_b"]},
    ),
    ("GET", "/api/v1/dedupe/merges"): Case("/api/v1/dedupe/merges", admins()),
    ("POST", "/api/v1/dedupe/merges/{merge_id}/undo"): Case(
        "/api/v1/dedupe/merges/{merge}/undo", admins()
    ),
    ("GET", "/dedupe"): Case("/dedupe", pages(rep=403, other_rep=403, auditor=403)),
    ("GET", "/dedupe/merge"): Case(
        "/dedupe/merge?survivor={dup_a}&other={dup_b}",
        pages(rep=403, other_rep=403, other_manager=404, auditor=403),
    ),
    ("GET", "/dedupe/merges"): Case("/dedupe/merges", pages(rep=403, other_rep=403, auditor=403)),
    ("POST", "/dedupe/scan"): Case(
        "/dedupe/scan", pages(303, **_NOT_ADMIN, anonymous=403, token=403, token_without_scope=403)
    ),
    ("POST", "/dedupe/pairs/{pair_id}/{decision}"): Case(
        "/dedupe/pairs/{pair}/dismiss",
        pages(
            303,
            rep=403,
            other_rep=403,
            other_manager=404,
            auditor=403,
            anonymous=403,
            token=403,
            token_without_scope=403,
        ),
    ),
    ("POST", "/dedupe/merge"): Case(  # a JSON body is no form: no customers named (422)
        "/dedupe/merge",
        pages(
            422,
            rep=403,
            other_rep=403,
            auditor=403,
            anonymous=403,
            token=403,
            token_without_scope=403,
        ),
    ),
    ("POST", "/dedupe/merges/{merge_id}/undo"): Case(
        "/dedupe/merges/{merge}/undo",
        pages(303, **_NOT_ADMIN, anonymous=403, token=403, token_without_scope=403),
    ),
    # the holdout report (对照组): admins, and managers over their own teams' customers
    ("GET", "/reports/holdout"): Case(
        "/reports/holdout", pages(rep=403, other_rep=403, auditor=403)
    ),
    ("GET", "/api/v1/reports/holdout"): Case(
        "/api/v1/reports/holdout", _statuses(200, rep=403, other_rep=403, auditor=403)
    ),
    ("GET", "/teams"): Case("/teams", pages()),
    ("GET", "/reps/{rep_id}"): Case("/reps/{moses}", pages()),
    ("POST", "/reps/{rep_id}"): Case(
        "/reps/{moses}",
        pages(
            422,
            rep=403,
            other_rep=403,
            other_manager=404,
            auditor=403,
            anonymous=403,
            token=403,
            token_without_scope=403,
        ),
    ),
    ("POST", "/reps/{rep_id}/away"): Case(
        "/reps/{moses}/away",
        _form_in_scope(303),
    ),
    ("POST", "/reps/{rep_id}/leaves"): Case(
        "/reps/{moses}/leaves",
        _form_in_scope(422, rep=403),
    ),
    ("POST", "/reps/{rep_id}/leaves/{leave_id}/delete"): Case(
        "/reps/{moses}/leaves/{leave}/delete",
        pages(
            303,
            rep=403,
            other_rep=403,
            other_manager=404,
            auditor=403,
            anonymous=403,
            token=403,
            token_without_scope=403,
        ),
    ),
    ("GET", "/categories"): Case("/categories", pages()),
    # the inbox: every session's own; the bell of no session stops polling (286)
    ("GET", "/inbox"): Case("/inbox", pages()),
    ("GET", "/inbox/bell"): Case(
        "/inbox/bell", {**public(), "anonymous": 286, "token": 286, "token_without_scope": 286}
    ),
    ("POST", "/inbox/read"): Case(
        "/inbox/read", pages(303, anonymous=403, token=403, token_without_scope=403)
    ),
    ("GET", "/admin/deliveries"): Case(
        "/admin/deliveries",
        pages(rep=403, other_rep=403, manager=403, other_manager=403, auditor=403),
    ),
    ("POST", "/admin/deliveries/{delivery_id}/retry"): Case(
        "/admin/deliveries/{delivery}/retry",
        pages(303, anonymous=403, token=403, token_without_scope=403, **_NOT_ADMIN),
    ),
    ("GET", "/admin/jobs"): Case("/admin/jobs", pages(**_NOT_ADMIN)),
    ("GET", "/admin/sync"): Case("/admin/sync", pages(**_NOT_ADMIN)),
    ("POST", "/admin/sync/{name}/run"): Case(
        "/admin/sync/nope/run",
        pages(404, anonymous=403, token=403, token_without_scope=403, **_NOT_ADMIN),
    ),
    ("POST", "/admin/sync/{name}/reset-cursor"): Case(
        "/admin/sync/nope/reset-cursor",
        pages(404, anonymous=403, token=403, token_without_scope=403, **_NOT_ADMIN),
    ),
    ("POST", "/admin/jobs/{name}/run"): Case(
        "/admin/jobs/retry-queue/run",
        pages(303, anonymous=403, token=403, token_without_scope=403, **_NOT_ADMIN),
    ),
    # 导入 pages: admins and managers (no import in the world: 404; no file: 422)
    ("GET", "/imports"): Case("/imports", pages(**_NOT_IMPORTERS)),
    ("POST", "/imports"): Case(
        "/imports", pages(422, anonymous=403, token=403, token_without_scope=403)
    ),
    **{
        ("GET", f"/imports/{{import_id}}{tail}"): Case(
            f"/imports/999{tail}", pages(404, **_NOT_IMPORTERS)
        )
        for tail in ("", "/progress", "/errors", "/map")
    },
    **{
        ("POST", f"/imports/{{import_id}}/{action}"): Case(
            f"/imports/999/{action}",
            pages(404, anonymous=403, token=403, token_without_scope=403, **_NOT_IMPORTERS),
        )
        for action in ("remembered", "sheet", "preview", "start")
    },
    ("GET", "/admin/backups"): Case("/admin/backups", pages(**_NOT_ADMIN)),
    ("POST", "/admin/backups/run"): Case(
        "/admin/backups/run",
        pages(303, anonymous=403, token=403, token_without_scope=403, **_NOT_ADMIN),
    ),
    ("GET", "/admin/backups/{name}/download"): Case(
        f"/admin/backups/{NO_BACKUP}/download", pages(404, **_NOT_ADMIN)
    ),
    # webhook subscriptions' pages: admins only (an empty form is 422)
    ("GET", "/admin/subscriptions"): Case("/admin/subscriptions", pages(**_NOT_ADMIN)),
    ("POST", "/admin/subscriptions"): Case("/admin/subscriptions", _rule_form_posts(422)),
    ("GET", "/admin/subscriptions/{subscription_id}"): Case(
        "/admin/subscriptions/{subscription}", pages(**_NOT_ADMIN)
    ),
    ("POST", "/admin/subscriptions/{subscription_id}"): Case(
        "/admin/subscriptions/{subscription}", _rule_form_posts(422)
    ),
    **{
        ("POST", f"/admin/subscriptions/{{subscription_id}}/{action}"): Case(
            f"/admin/subscriptions/{{subscription}}/{action}", _rule_form_posts(status)
        )
        for action, status in (("rotate", 200), ("delete", 303), ("test", 303))
    },
    # administration (pages_admin_*): what the services allow each role; empty forms are 422
    ("GET", "/admin"): Case("/admin", pages(303)),
    ("GET", "/admin/teams"): Case("/admin/teams", pages(**_NOT_ADMIN)),
    ("POST", "/admin/teams"): Case("/admin/teams", _rule_form_posts(422)),
    ("POST", "/admin/teams/{team_id}"): Case("/admin/teams/{east}", _rule_form_posts(422)),
    ("POST", "/admin/teams/{team_id}/delete"): Case(
        "/admin/teams/{empty_team}/delete", _rule_form_posts(303)
    ),
    ("GET", "/admin/reps"): Case("/admin/reps", pages(rep=403, other_rep=403)),
    ("POST", "/admin/reps"): Case("/admin/reps", _rule_form_posts(422)),
    ("POST", "/admin/reps/{rep_id}/active"): Case(
        "/admin/reps/{moses}/active",
        _rule_form_posts(303, manager=303, other_manager=404),
    ),
    ("GET", "/admin/users"): Case("/admin/users", pages(**_NOT_ADMIN)),
    ("POST", "/admin/users"): Case("/admin/users", _rule_form_posts(422)),
    ("POST", "/admin/users/{user_id}/reset"): Case(
        "/admin/users/{rep_user}/reset", _rule_form_posts(200)
    ),
    ("POST", "/admin/users/{user_id}/deactivate"): Case(
        "/admin/users/{rep_user}/deactivate", _rule_form_posts(303)
    ),
    ("GET", "/admin/tokens"): Case("/admin/tokens", pages()),
    ("POST", "/admin/tokens"): Case(
        "/admin/tokens", pages(422, anonymous=403, token=403, token_without_scope=403)
    ),
    ("POST", "/admin/tokens/{token_id}/revoke"): Case(
        "/admin/tokens/{token}/revoke",
        _rule_form_posts(303, **dict.fromkeys(_NOT_ADMIN, 404)),
    ),
    ("GET", "/admin/audit"): Case(
        "/admin/audit", pages(rep=403, other_rep=403, manager=403, other_manager=403)
    ),
    **{
        ("POST", f"/categories/{{key}}/{action}"): Case(
            f"/categories/level/{action}",
            pages(403, admin=status, anonymous=403, token=403, token_without_scope=403),
        )
        for action, status in (
            ("add", 422),
            ("rename", 422),
            ("merge", 422),
            ("retire", 404),
            ("restore", 404),
        )
    },
    # Exports (services/exports): reps only when the admin lets them (off here);
    # the reports as their pages (the holdout report: admins and managers).
    ("GET", "/api/v1/exports/{kind}"): Case("/api/v1/exports/customers", rule_readers()),
    ("GET", "/exports"): Case("/exports", pages()),
    ("POST", "/exports/settings"): Case(
        "/exports/settings",
        pages(303, **_NOT_ADMIN, anonymous=403, token=403, token_without_scope=403),
    ),
    ("GET", "/exports/customers"): Case("/exports/customers", pages(rep=403, other_rep=403)),
    ("GET", "/exports/{kind}"): Case(
        "/exports/holdout", pages(rep=403, other_rep=403, auditor=403)
    ),
}


# --- running them ---------------------------------------------------------------------------


@functools.cache
def route_table() -> list[tuple[str, str, APIRoute | Any]]:
    """(method, path, route) for every route the app serves, static files aside."""
    from fastapi.routing import _IncludedRouter  # FastAPI includes routers lazily

    def walk(routes: list[Any]) -> Iterator[Any]:
        for route in routes:
            if isinstance(route, _IncludedRouter):
                yield from walk(route.effective_candidates())
            elif getattr(route, "methods", None):
                yield route

    app = create_app(bootstrap(Settings(database_url="sqlite://")))
    return sorted(
        (method, route.path, route)
        for route in walk(list(app.routes))
        for method in route.methods - {"HEAD"}
    )


# The scope an API token needs for each route, written by hand — not derived from the app's
# router tags, so a router filed under the wrong area (the audit log tagged `customers`)
# fails here instead of quietly letting a `customers:read` token read it.
TOKEN_SCOPES: dict[tuple[str, str], str] = {
    # Changing one's own password is a users write (a token rarely should).
    ("POST", "/api/v1/account/password"): "users:write",
    ("POST", "/api/v1/assignments"): "assignments:write",
    ("POST", "/api/v1/assignments/bulk"): "assignments:write",
    ("GET", "/api/v1/audit"): "audit:read",
    ("GET", "/api/v1/pools"): "pools:read",
    ("GET", "/api/v1/sla-policies"): "sla:read",
    ("POST", "/api/v1/sla-policies"): "sla:write",
    ("GET", "/api/v1/sla-policies/{policy_id}"): "sla:read",
    ("PATCH", "/api/v1/sla-policies/{policy_id}"): "sla:write",
    ("DELETE", "/api/v1/sla-policies/{policy_id}"): "sla:write",
    ("GET", "/api/v1/customers/{customer_id}/sla"): "sla:read",
    ("POST", "/api/v1/customers/{customer_id}/sla/pause"): "sla:write",
    ("POST", "/api/v1/customers/{customer_id}/sla/resume"): "sla:write",
    ("GET", "/api/v1/task-timers"): "sla:read",
    ("GET", "/api/v1/scoring/models"): "scoring:read",
    ("GET", "/api/v1/scoring/models/{model_id}"): "scoring:read",
    ("POST", "/api/v1/scoring/models/{model_id}/activate"): "scoring:write",
    ("POST", "/api/v1/scoring/models/deactivate"): "scoring:write",
    ("POST", "/api/v1/scoring/scorecards"): "scoring:write",
    ("GET", "/api/v1/scoring/settings"): "scoring:read",
    ("PUT", "/api/v1/scoring/settings"): "scoring:write",
    ("GET", "/api/v1/scoring/customers/{customer_id}"): "scoring:read",
    ("GET", "/api/v1/task-origins"): "sla:read",
    ("PUT", "/api/v1/task-origins"): "sla:write",
    ("PUT", "/api/v1/task-timers/{priority}"): "sla:write",
    ("GET", "/api/v1/holidays/{year}"): "sla:read",
    ("PUT", "/api/v1/holidays/{year}"): "sla:write",
    ("DELETE", "/api/v1/holidays/{year}"): "sla:write",
    ("PUT", "/api/v1/pools/{key}"): "pools:write",
    ("GET", "/api/v1/pools/{key}/customers"): "pools:read",
    ("POST", "/api/v1/pools/claims"): "pools:write",
    ("POST", "/api/v1/pools/returns"): "pools:write",
    ("GET", "/api/v1/pools/reclaim-plan"): "pools:read",
    ("POST", "/api/v1/pools/reclaim"): "pools:write",
    ("POST", "/api/v1/pools/{key}/redistribute"): "pools:write",
    ("PUT", "/api/v1/customers/{customer_id}/key-account"): "customers:write",
    ("POST", "/api/v1/pools/{key}/move"): "pools:write",
    ("POST", "/api/v1/pools/{key}/push"): "pools:write",
    ("GET", "/api/v1/customers/duplicates"): "customers:read",
    ("GET", "/api/v1/categories"): "categories:read",
    ("POST", "/api/v1/categories/{key}/values"): "categories:write",
    ("PATCH", "/api/v1/categories/{key}/values/{code}"): "categories:write",
    ("POST", "/api/v1/categories/{key}/values/{code}/merge"): "categories:write",
    ("POST", "/api/v1/categories/{key}/values/{code}/restore"): "categories:write",
    ("POST", "/api/v1/categories/{key}/values/{code}/retire"): "categories:write",
    ("GET", "/api/v1/customers"): "customers:read",
    ("POST", "/api/v1/customers"): "customers:write",
    ("DELETE", "/api/v1/customers/{customer_id}"): "customers:write",
    ("GET", "/api/v1/customers/{customer_id}"): "customers:read",
    ("PATCH", "/api/v1/customers/{customer_id}"): "customers:write",
    ("GET", "/api/v1/customers/{customer_id}/follow-ups"): "customers:read",
    ("POST", "/api/v1/customers/{customer_id}/follow-ups"): "customers:write",
    ("PATCH", "/api/v1/customers/{customer_id}/follow-ups/{follow_up_id}"): "customers:write",
    ("POST", "/api/v1/customers/{customer_id}/stage"): "customers:write",
    ("GET", "/api/v1/customers/{customer_id}/timeline"): "customers:read",
    ("GET", "/api/v1/customers/{customer_id}/history"): "customers:read",
    ("GET", "/api/v1/deliveries"): "deliveries:read",
    ("POST", "/api/v1/deliveries/{delivery_id}/retry"): "deliveries:write",
    ("GET", "/api/v1/imports"): "customers:read",
    ("POST", "/api/v1/imports"): "customers:write",
    ("GET", "/api/v1/imports/{import_id}"): "customers:read",
    ("GET", "/api/v1/imports/{import_id}/errors"): "customers:read",
    ("GET", "/api/v1/jobs"): "jobs:read",
    ("GET", "/api/v1/jobs/{name}/runs"): "jobs:read",
    ("POST", "/api/v1/jobs/{name}/run"): "jobs:write",
    ("GET", "/api/v1/backups"): "backups:read",
    ("POST", "/api/v1/backups"): "backups:write",
    ("GET", "/api/v1/backups/{name}"): "backups:read",
    ("POST", "/api/v1/leads"): "leads:write",
    ("GET", "/api/v1/notifications"): "notifications:read",
    ("POST", "/api/v1/notifications/read"): "notifications:write",
    ("GET", "/api/v1/notifications/unread-count"): "notifications:read",
    ("GET", "/api/v1/account/notifications"): "notifications:read",
    ("PUT", "/api/v1/account/notifications"): "notifications:write",
    ("GET", "/api/v1/notification-defaults/{role}"): "notifications:read",
    ("PUT", "/api/v1/notification-defaults/{role}"): "notifications:write",
    ("GET", "/api/v1/reps"): "org:read",
    ("POST", "/api/v1/reps"): "org:write",
    ("GET", "/api/v1/reps/{rep_id}"): "org:read",
    ("PATCH", "/api/v1/reps/{rep_id}"): "org:write",
    ("GET", "/api/v1/reps/{rep_id}/leaves"): "org:read",
    ("POST", "/api/v1/reps/{rep_id}/leaves"): "org:write",
    ("DELETE", "/api/v1/reps/{rep_id}/leaves/{leave_id}"): "org:write",
    ("GET", "/api/v1/rules"): "rules:read",
    ("GET", "/api/v1/reports/holdout"): "rules:read",
    ("POST", "/api/v1/dedupe/scan"): "customers:write",
    ("GET", "/api/v1/dedupe/pairs"): "customers:read",
    ("POST", "/api/v1/dedupe/pairs/{pair_id}/dismiss"): "customers:write",
    ("POST", "/api/v1/dedupe/pairs/{pair_id}/reopen"): "customers:write",
    ("GET", "/api/v1/dedupe/preview"): "customers:read",
    ("POST", "/api/v1/dedupe/merges"): "customers:write",
    ("GET", "/api/v1/dedupe/merges"): "customers:read",
    ("POST", "/api/v1/dedupe/merges/{merge_id}/undo"): "customers:write",
    ("POST", "/api/v1/rules"): "rules:write",
    # A dry run, but a POST: write scopes go with every method but GET and HEAD.
    ("POST", "/api/v1/rules/preview"): "rules:write",
    ("POST", "/api/v1/rules/preview-task"): "rules:write",
    ("POST", "/api/v1/rules/reorder"): "rules:write",
    ("DELETE", "/api/v1/rules/{rule_id}"): "rules:write",
    ("GET", "/api/v1/rules/{rule_id}"): "rules:read",
    ("PATCH", "/api/v1/rules/{rule_id}"): "rules:write",
    ("POST", "/api/v1/rules/{rule_id}/disable"): "rules:write",
    ("POST", "/api/v1/rules/{rule_id}/enable"): "rules:write",
    ("GET", "/api/v1/rules/{rule_id}/versions"): "rules:read",
    ("POST", "/api/v1/rules/{rule_id}/versions/{version}/restore"): "rules:write",
    ("GET", "/api/v1/subscriptions"): "subscriptions:read",
    ("POST", "/api/v1/subscriptions"): "subscriptions:write",
    ("DELETE", "/api/v1/subscriptions/{subscription_id}"): "subscriptions:write",
    ("GET", "/api/v1/subscriptions/{subscription_id}"): "subscriptions:read",
    ("PATCH", "/api/v1/subscriptions/{subscription_id}"): "subscriptions:write",
    ("GET", "/api/v1/subscriptions/{subscription_id}/deliveries"): "subscriptions:read",
    ("POST", "/api/v1/subscriptions/{subscription_id}/rotate-secret"): "subscriptions:write",
    ("POST", "/api/v1/subscriptions/{subscription_id}/test"): "subscriptions:write",
    ("GET", "/api/v1/teams"): "org:read",
    ("POST", "/api/v1/teams"): "org:write",
    ("DELETE", "/api/v1/teams/{team_id}"): "org:write",
    ("GET", "/api/v1/teams/{team_id}"): "org:read",
    ("PATCH", "/api/v1/teams/{team_id}"): "org:write",
    ("GET", "/api/v1/tokens"): "tokens:read",
    ("POST", "/api/v1/tokens"): "tokens:write",
    ("DELETE", "/api/v1/tokens/{token_id}"): "tokens:write",
    ("GET", "/api/v1/tasks"): "tasks:read",
    ("POST", "/api/v1/tasks"): "tasks:write",
    ("GET", "/api/v1/tasks/stats"): "tasks:read",
    ("GET", "/api/v1/tasks/{task_id}"): "tasks:read",
    ("PATCH", "/api/v1/tasks/{task_id}"): "tasks:write",
    ("POST", "/api/v1/tasks/{task_id}/status"): "tasks:write",
    ("POST", "/api/v1/tasks/{task_id}/progress"): "tasks:write",
    ("POST", "/api/v1/tasks/{task_id}/assign"): "tasks:write",
    ("POST", "/api/v1/tasks/{task_id}/route"): "tasks:write",
    ("POST", "/api/v1/tasks/{task_id}/checklist"): "tasks:write",
    ("PATCH", "/api/v1/tasks/{task_id}/checklist/{item_id}"): "tasks:write",
    ("DELETE", "/api/v1/tasks/{task_id}/checklist/{item_id}"): "tasks:write",
    ("POST", "/api/v1/tasks/{task_id}/comments"): "tasks:write",
    ("POST", "/api/v1/tasks/{task_id}/complete"): "tasks:write",
    ("POST", "/api/v1/tasks/{task_id}/rate"): "tasks:write",
    ("POST", "/api/v1/tasks/{task_id}/chase"): "tasks:write",
    # The signed webhook creates leads: the same scope as POST /leads.
    ("POST", "/api/v1/webhooks/leads"): "leads:write",
    ("POST", "/api/v1/webhooks/tasks"): "tasks:write",
    ("GET", "/api/v1/sync/connections"): "sync:read",
    ("POST", "/api/v1/sync/connections/{connection}/run"): "sync:write",
    ("POST", "/api/v1/sync/connections/{connection}/reset-cursor"): "sync:write",
    ("GET", "/api/v1/sync/connections/{connection}/assignments.csv"): "sync:read",
    ("POST", "/api/v1/webhooks/sync/{connection}"): "sync:write",
    # Attachments (资料) are the customer's: its area's scopes.
    ("GET", "/api/v1/customers/{customer_id}/attachments"): "customers:read",
    ("POST", "/api/v1/customers/{customer_id}/attachments"): "customers:write",
    ("GET", "/api/v1/attachments/{attachment_id}"): "customers:read",
    ("GET", "/api/v1/attachments/{attachment_id}/content"): "customers:read",
    ("DELETE", "/api/v1/attachments/{attachment_id}"): "customers:write",
    # A file of everything one may see is a permission of its own, not customers:read.
    ("GET", "/api/v1/exports/{kind}"): "exports:read",
}


def test_every_route_has_a_case_and_every_case_a_route() -> None:
    served = {(method, path) for method, path, _ in route_table()}
    assert served - CASES.keys() == set(), "add these routes to CASES"
    assert CASES.keys() - served == set(), "these cases name no route"


# The same read of the rule book through the API and through the pages.
RULE_BOOK_READS = {
    ("GET", "/api/v1/rules"): ("GET", "/rules"),
    ("GET", "/api/v1/rules/{rule_id}"): ("GET", "/rules/{rule_id}"),
    ("GET", "/api/v1/rules/{rule_id}/versions"): ("GET", "/rules/{rule_id}/versions"),
    ("POST", "/api/v1/rules/preview"): ("POST", "/rules/try"),
}


@pytest.mark.parametrize("caller", sorted(SESSION_USERS))
def test_api_and_pages_let_each_role_read_the_same_of_the_rule_book(caller: str) -> None:
    """One scope decision per read: a role that may read the rule book through the API may
    read it on the pages, and one refused there is refused here (both are run below)."""
    for api, page in RULE_BOOK_READS.items():
        api_allowed = CASES[api].expect[caller] < 400
        page_allowed = CASES[page].expect[caller] < 400
        assert api_allowed == page_allowed, (caller, api, page)
        assert api_allowed == (SESSION_USERS[caller] is not Role.rep), (caller, api)


def _required_scope(method: str, path: str) -> str:
    """The hand-written scope for an API route; pages take no tokens (any scope will do)."""
    return TOKEN_SCOPES.get((method, path), "customers:read")


def test_every_api_route_has_a_hand_written_scope() -> None:
    api = {(m, p) for m, p, _ in route_table() if p.startswith("/api/")}
    assert api == TOKEN_SCOPES.keys()
    assert set(TOKEN_SCOPES.values()) <= KNOWN_SCOPES


def _client(app: FastAPI, fenpei: Fenpei, world: World, caller: str, scope: str) -> TestClient:
    app.state.fenpei = fenpei  # one app for all callers; each gets its own database
    client = TestClient(app, follow_redirects=False)
    secret = fenpei.settings.secret_key
    if caller in SESSION_USERS:
        session = start_session(user_id=world.user_ids[caller], username=caller, now=fenpei.now())
        cookie = sign_session(session, secret=secret)
        client.cookies.set(SESSION_COOKIE, cookie)
        client.headers[CSRF_HEADER] = csrf_token("session:" + cookie, secret=secret)
    elif caller == "token":
        # Outside the API no scope applies (pages ignore tokens): any token will do.
        held = scope if scope in world.tokens else "customers:read"
        client.headers["Authorization"] = f"Bearer {world.tokens[held]}"
    elif caller == "token_without_scope":
        other = "audit:read" if not scope.startswith("audit") else "customers:read"
        client.headers["Authorization"] = f"Bearer {world.tokens[other]}"
    return client


@pytest.fixture(scope="module")
def matrix_app() -> FastAPI:
    """One app for every route and caller of the matrix, pointed at each one's database in
    turn (``_client``): building an app takes about a second, and it holds no data."""
    return create_app(bootstrap(Settings(database_url="sqlite://")))


@pytest.mark.parametrize(
    ("method", "path"), sorted(CASES), ids=[f"{m} {p}" for m, p in sorted(CASES)]
)
def test_route_answers_each_caller_as_expected(
    template: Template, matrix_app: FastAPI, tmp_path: Path, method: str, path: str
) -> None:
    case = CASES[(method, path)]
    scope = _required_scope(method, path)
    url = case.path.format(**template.world.ids)
    got: dict[str, int] = {}
    app = matrix_app
    for caller in CALLERS:
        copy = tmp_path / f"{caller}.db"
        shutil.copyfile(template.path, copy)
        fenpei = bootstrap(Settings(database_url=f"sqlite:///{copy}"), clock=FixedClock())
        fenpei.files = _files(template.path)  # deletes are soft: the bytes can be shared
        try:
            with _client(app, fenpei, template.world, caller, scope) as client:
                body = case.body(template.world) if case.body else None
                got[caller] = client.request(method, url, json=body).status_code
        finally:
            fenpei.close()
    mismatched = {c: (got[c], case.expect[c]) for c in CALLERS if got[c] != case.expect[c]}
    assert not mismatched, f"caller: (got, expected) {mismatched}"


@pytest.mark.parametrize("caller", [*sorted(SESSION_USERS), "token"])
def test_each_caller_reads_and_marks_only_their_own_notifications(
    template: Template, tmp_path: Path, caller: str
) -> None:
    """Every role has an inbox of its own: the list and the count hold only the caller's
    notification; marking everyone else's ids changes nothing, marking one's own does."""
    world = template.world
    owner = "admin" if caller == "token" else caller
    own = world.notes[owner]
    others = [note for name, note in world.notes.items() if name != owner]
    copy = tmp_path / "own.db"
    shutil.copyfile(template.path, copy)
    fenpei = bootstrap(Settings(database_url=f"sqlite:///{copy}"), clock=FixedClock())
    app = asgi_app(fenpei)
    try:
        with _client(app, fenpei, world, caller, "notifications:write") as client:
            if caller == "token":  # one token that may read and write the inbox
                with fenpei.uow() as uow:
                    _, plaintext = tokens.create_token(
                        uow=uow,
                        username="admin",
                        name="inbox",
                        scopes=["notifications:read", "notifications:write"],
                        actor=SYSTEM,
                        now=fenpei.now(),
                    )
                    uow.commit()
                client.headers["Authorization"] = f"Bearer {plaintext}"
            listed = client.get("/api/v1/notifications").json()
            assert [item["id"] for item in listed["items"]] == [own]
            assert client.get("/api/v1/notifications/unread-count").json() == {"unread": 1}

            theirs = client.post("/api/v1/notifications/read", json={"ids": others})
            assert theirs.json() == {"marked": 0, "unread": 1}
            mine = client.post("/api/v1/notifications/read", json={"ids": [own, *others]})
            assert mine.json() == {"marked": 1, "unread": 0}
        with fenpei.uow() as uow:
            still_unread = {
                name: uow.inbox.unread_count(world.user_ids[name]) for name in world.notes
            }
        assert still_unread == {name: int(name != owner) for name in world.notes}
    finally:
        fenpei.close()
