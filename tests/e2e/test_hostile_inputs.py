"""Hostile values in every field of every operation the OpenAPI declares, on SQLite and
PostgreSQL: never a 5xx, nothing written by a refused request, every later read answers.

The operations, fields and valid base bodies come from the app's own OpenAPI (see
``_hostile``), so a field or route added later is attacked without editing this file.
Each (operation, database) gets one seeded world; each hypothesis example replaces one
place in a valid request with one hostile value, sends it with an admin's API token, and
checks:

- the answer is not a 5xx;
- a refused answer (4xx) changed nothing: every table, reflected from the database, holds
  the same rows (compared in full, which also catches an UPDATE half done);
- text the database refuses (NUL, lone surrogates) sent in a body is refused with a 422
  that names the field, never stored;
- every read still answers below 500 afterwards: the API's lists and histories, /healthz,
  and pages as a logged-in admin sees them (also for whatever the request touched).

The 50 MB-body tests (the body cap is enforced before reading) are at the end.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import json
import os
import re
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql
from starlette.testclient import TestClient

from fenpei.adapters.db.migrate import upgrade
from fenpei.app import create_app
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.config import Settings
from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import org, rules, tokens, users, webhooks
from fenpei.services.rules import ensure_default_rule
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput
from tests._async import run as run_async
from tests.e2e import _hostile
from tests.e2e.conftest import ADMIN_PASSWORD, World, asgi_app, log_in
from tests.fakes.hasher import FakeHasher

# Examples per operation; FENPEI_HOSTILE_EXAMPLES=300 for a deeper (still repeatable) run.
EXAMPLES = int(os.environ.get("FENPEI_HOSTILE_EXAMPLES", "12"))


def _document() -> dict[str, Any]:
    """The OpenAPI of a throwaway app (nothing connects to its database)."""
    folder = Path(tempfile.mkdtemp(prefix="fenpei-openapi-"))
    fenpei = bootstrap(Settings(database_url=f"sqlite:///{folder / 'unused.db'}"))
    try:
        return create_app(fenpei).openapi()
    finally:
        fenpei.close()
        shutil.rmtree(folder, ignore_errors=True)


DOCUMENT = _document()
SPEC = _hostile.Spec(DOCUMENT)


def _attacked(operation: _hostile.Operation) -> bool:
    """Operations with a JSON body, query parameters, or text in their path. An operation
    whose only input is an integer id in the path is left to FastAPI's own validation
    (and to schemathesis): no value of ours reaches the app's code there."""
    return operation.body_schema is not None or any(
        p.where == "query" or "string" in SPEC.expects(p.schema) for p in operation.params
    )


OPERATIONS = [op for op in _hostile.operations(DOCUMENT) if _attacked(op)]

# Values the world holds that no example can know: a category and one of its values (made
# by ensure_default_categories) for text path parameters, the admin's password in bodies.
PATH_VALUES = {"key": "level", "code": "A"}
KNOWN_VALUES = {
    "current_password": ADMIN_PASSWORD,
    "new_password": "another long enough password",
}
# What a refused request may legitimately change: authenticating the token records when it
# was last used (the request did reach the app with a valid token; the clock is fixed, so
# in practice the value stays the same, but it is bookkeeping, not data the request sent).
CHANGES_ALLOWED_ON_REFUSAL = {("api_tokens", "last_used_at")}


# --- the world -------------------------------------------------------------------------------


@dataclass
class HostileWorld:
    """``seeded`` and what the operations' bases need besides: rules, a manager, a leave,
    custom fields, the admin's token."""

    seeded: World
    ids: dict[str, list[int]]
    token: str
    token_prefix: str
    custom: dict[str, Any] = field(default_factory=dict)

    def value_for(self, name: str) -> Any:
        """What the world has for a field: ids for an id-like name (``team_id`` -> one,
        ``rep_ids`` -> all), the admin's password for ``current_password``…; else None."""
        if name in KNOWN_VALUES:
            return KNOWN_VALUES[name]
        if not re.fullmatch(r"\w+_ids?", name):
            return None
        found = self.ids.get(name.removesuffix("_ids").removesuffix("_id"))
        if not found:
            return None
        return list(found) if name.endswith("_ids") else found[0]


@pytest.fixture
def world(request: pytest.FixtureRequest, app: Fenpei) -> HostileWorld:
    # argon2 costs about a second a password; these tests log in, they do not test it.
    app.hasher = FakeHasher()
    seeded: World = request.getfixturevalue("seeded")
    now = app.now()
    with app.uow() as uow:
        ensure_default_rule(uow=uow, actor=SYSTEM, now=now)
        east = rules.create_rule(
            uow=uow,
            fields={
                "name": "East → East team",
                "priority": 10,
                "conditions": {"field": "region", "op": "eq", "value": "East"},
                "target": {"kind": "team", "team_id": seeded.team_id},
            },
            actor=SYSTEM,
            now=now,
        )
        west = org.create_team(uow=uow, name="West", actor=SYSTEM, now=now)
        west_rule = rules.create_rule(
            uow=uow,
            fields={
                "name": "West → West team",
                "priority": 20,
                "conditions": {"field": "region", "op": "eq", "value": "West"},
                "target": {"kind": "team", "team_id": west.id},
            },
            actor=SYSTEM,
            now=now,
        )
        manager = users.create_user(
            uow=uow,
            hasher=app.hasher,
            username="manager",
            password="long enough password",
            role=Role.manager,
            actor=SYSTEM,
            now=now,
        )
        # The tokens example names this user.
        users.create_user(
            uow=uow,
            hasher=app.hasher,
            username="intake",
            password="long enough password",
            role=Role.admin,
            actor=SYSTEM,
            now=now,
        )
        leave = org.add_leave(
            uow=uow,
            rep_id=seeded.moses_id,
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=4),
            actor=SYSTEM,
            now=now,
        )
        for key, kind in (
            ("note", FieldKind.text),
            ("budget", FieldKind.number),
            ("renewal", FieldKind.date),
        ):
            uow.custom_fields.add(CustomField(key=key, label=key.title(), kind=kind))
        _, plaintext = tokens.create_token(
            uow=uow, username="admin", name="hostile", scopes=["*"], actor=SYSTEM, now=now
        )
        spare, _ = tokens.create_token(
            uow=uow, username="admin", name="spare", scopes=["*"], actor=SYSTEM, now=now
        )
        uow.commit()
    assert east.id and west_rule.id and west.id and manager.id and leave.id and spare.id
    with app.uow() as uow:
        task = create_and_route(
            uow=uow, actor=SYSTEM, now=now, assignee_id=seeded.moses_id,
            data=TaskInput(title="回电", customer_ids=[seeded.acme_id], checklist=["打电话"]),
        )  # fmt: skip
        item = uow.tasks.items(task.id or 0)[0]
        uow.commit()
    assert task.id and item.id
    return HostileWorld(
        seeded=seeded,
        ids={
            "customer": [seeded.globex_id, seeded.script_id],
            "rep": [seeded.moses_id, seeded.darcel_id],
            "owner": [seeded.darcel_id],
            "team": [seeded.team_id],
            "parent": [west.id],
            "manager_user": [manager.id],
            # Not the default rule: it is always last, and a reorder does not name it.
            "rule": [east.id, west_rule.id],
            "leave": [leave.id],
            "token": [spare.id],
            "version": [1],
            "task": [task.id],
            "item": [item.id],
        },
        token=plaintext,
        token_prefix=plaintext.split("_")[1],
        custom={"note": "renewal due", "budget": 1200, "renewal": "2027-01-31"},
    )


@dataclass
class Harness:
    """The app under attack: an API client with the admin's token, a logged-in page client,
    the database's tables."""

    fenpei: Fenpei
    world: HostileWorld
    api: TestClient
    pages: TestClient
    tables: list[sa.Table]

    def snapshot(self) -> dict[str, list[tuple[str, ...]]]:
        """Every row of every table, as text, in a stable order."""
        rows: dict[str, list[tuple[str, ...]]] = {table.name: [] for table in self.tables}
        with self.fenpei.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # One round trip for every table (a query per table was most of the time
                # of the PostgreSQL tests): each row as its columns' text, which tells
                # every value apart as the Python values do.
                for name, values in connection.exec_driver_sql(_pg_snapshot_sql(self.tables)):
                    rows[name].append(tuple(repr(v) for v in values))
                return {name: sorted(found) for name, found in rows.items()}
            for table in self.tables:
                found = connection.execute(sa.select(*_compared(table))).all()
                rows[table.name] = sorted(tuple(repr(v) for v in row) for row in found)
        return rows

    def touched_ids(self, before: dict[str, Any], after: dict[str, Any], table: str) -> set[int]:
        """Ids of the rows of ``table`` a request added or changed."""
        names = [c.name for c in self._table(table).columns]
        if "id" not in names:
            return set()
        position = names.index("id")
        # repr of the id: 5 (SQLite, the value) or '5' (PostgreSQL, the column's text).
        changed = set(after[table]) - set(before[table])
        return {int(ast.literal_eval(row[position])) for row in changed}

    def _table(self, name: str) -> sa.Table:
        return next(t for t in self.tables if t.name == name)


def _compared(table: sa.Table) -> list[sa.Column[Any]]:
    """The columns of ``table`` a refused request must leave as they were."""
    return [c for c in table.columns if (table.name, c.name) not in CHANGES_ALLOWED_ON_REFUSAL]


# The tables as reflected, by database kind and table names: every test's database is a
# copy of the same migrated template, and reflecting them took seconds a test on PostgreSQL.
_REFLECTED: dict[tuple[str, tuple[str, ...]], list[sa.Table]] = {}


def _reflected(engine: sa.Engine) -> list[sa.Table]:
    names = tuple(sorted(sa.inspect(engine).get_table_names()))
    key = (engine.dialect.name, names)
    if key not in _REFLECTED:
        metadata = sa.MetaData()
        _REFLECTED[key] = [sa.Table(n, metadata, autoload_with=engine) for n in names]
    return _REFLECTED[key]


@functools.cache
def _pg_snapshot_sql_for(tables: tuple[sa.Table, ...]) -> str:
    quote = postgresql.dialect().identifier_preparer.quote
    return " UNION ALL ".join(
        f"SELECT '{table.name}', ARRAY["
        + ", ".join(f"CAST({quote(c.name)} AS TEXT)" for c in _compared(table))
        + f"]::text[] FROM {quote(table.name)}"
        for table in tables
    )


def _pg_snapshot_sql(tables: list[sa.Table]) -> str:
    """One query for every row of every table: (table's name, its columns' text)."""
    return _pg_snapshot_sql_for(tuple(tables))


@pytest.fixture
def harness(app: Fenpei, world: HostileWorld) -> Iterator[Harness]:
    web = asgi_app(app)
    tables = _reflected(app.engine)
    with (
        TestClient(web, raise_server_exceptions=False, follow_redirects=False) as api,
        TestClient(web, raise_server_exceptions=False, follow_redirects=False) as pages,
    ):
        api.headers["Authorization"] = f"Bearer {world.token}"
        log_in(pages)
        yield Harness(app, world, api, pages, tables)


# --- what every example checks ------------------------------------------------------------


def _base(operation: _hostile.Operation, world: HostileWorld) -> tuple[dict, dict, Any]:
    """A valid request: path values, query, body (the schema's example with world ids)."""
    path_values: dict[str, Any] = {}
    for param in operation.params:
        if param.where == "path":
            path_values[param.name] = PATH_VALUES.get(param.name) or world.value_for(param.name)
    body = _hostile.substitute(operation.body, world.value_for)
    # A customer's fields take custom attributes the world defines; with them in the base,
    # each one (and a new key among them) is a place to attack too.
    if isinstance(body, dict) and "custom" in operation.body_fields and "custom" not in body:
        body = {**body, "custom": dict(world.custom)}
    return path_values, {}, body


def _headers(harness: Harness, sent: _hostile.Request) -> dict[str, str]:
    world, content = harness.world, sent.content
    headers = {"Content-Type": "application/json"} if content is not None else {}
    if sent.url.startswith("/api/v1/webhooks/"):
        # Signed, so that the body reaches the parser and the lead service.
        secret = webhooks.webhook_secret(
            secret_key=harness.fenpei.settings.secret_key, prefix=world.token_prefix
        )
        stamp = str(int(harness.fenpei.now().timestamp()))
        headers |= {
            webhooks.TOKEN_HEADER: world.token_prefix,
            webhooks.TIMESTAMP_HEADER: stamp,
            webhooks.SIGNATURE_HEADER: webhooks.signature(
                secret=secret, timestamp=stamp, body=content or b""
            ),
        }
    return headers


# Read after every example: cheap, and enough to see a process left broken (a poisoned cache,
# a connection pool left in a failed transaction).
QUICK_READS = ("/healthz", "/api/v1/customers", "/api/v1/reps", "/api/v1/rules")


def _reads(harness: Harness, touched: dict[str, set[int]]) -> list[tuple[TestClient, str]]:
    """Every list, and the pages of the world's records and of what a request touched.

    Run after each example that changed the database, and once after the last example.
    After a refused request the database is unchanged (asserted), and these answers are a
    function of it; the quick reads cover the process itself."""
    world = harness.world.seeded
    customers = {world.acme_id, world.script_id} | touched["customers"]
    reps = {world.moses_id, world.darcel_id} | touched["reps"]
    rule_ids = set(harness.world.ids["rule"]) | touched["rules"]
    api, pages = harness.api, harness.pages
    reads = [(api, path) for path in QUICK_READS]
    reads += [
        (api, "/api/v1/customers?sort=name&limit=500"),
        (api, "/api/v1/teams"),
        (api, "/api/v1/categories"),
        (api, "/api/v1/audit?limit=1000"),
        (api, "/api/v1/tokens"),
        (pages, "/dashboard"),
        (pages, "/customers"),
        (pages, "/teams"),
        (pages, "/rules"),
        (pages, "/categories"),
    ]
    reads += [(api, f"/api/v1/customers/{i}/history") for i in sorted(customers)]
    reads += [(pages, f"/customers/{i}") for i in sorted(customers)]
    reads += [(api, f"/api/v1/reps/{i}/leaves") for i in sorted(reps)]
    reads += [(pages, f"/reps/{i}") for i in sorted(reps)]
    reads += [(pages, f"/rules/{i}") for i in sorted(rule_ids)]
    return reads


def _broken(reads: list[tuple[TestClient, str]]) -> list[str]:
    found = []
    for client, path in reads:
        answer = client.get(path)
        if answer.status_code >= 500:
            found.append(f"{path} -> {answer.status_code} {answer.text[:200]!r}")
    return found


def _error_fields(text: str) -> list[str]:
    try:
        return [str(e.get("field", "")) for e in json.loads(text).get("errors", [])]
    except (ValueError, AttributeError):
        return []


def _diff(before: dict[str, list], after: dict[str, list]) -> str:
    return ", ".join(
        f"{name}: {len(before[name])} -> {len(after[name])} rows"
        + ("" if len(before[name]) != len(after[name]) else " (a row changed)")
        for name in before
        if before[name] != after[name]
    )


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.id for op in OPERATIONS])
def test_hostile_values_are_refused_cleanly_and_every_read_still_answers(
    operation: _hostile.Operation, harness: Harness
) -> None:
    path_values, query, body = _base(operation, harness.world)
    targets = operation.targets(SPEC, body)
    assert targets, f"{operation.id}: no place to attack"
    no_change = {name: set[int]() for name in ("customers", "reps", "rules", "teams")}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def attack(data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(targets), label="target")
        aimed, every = _hostile.kinds_for(target)
        hostile = data.draw(st.sampled_from(aimed) | st.sampled_from(every), label="kind")
        sent = _hostile.render(
            operation,
            path_values=path_values,
            query=query,
            body=body,
            target=target,
            hostile=hostile,
        )
        before = harness.snapshot()
        response = harness.api.request(
            sent.method, sent.url, content=sent.content, headers=_headers(harness, sent)
        )
        after = harness.snapshot()
        status, text = response.status_code, response.text
        assert status < 500, f"server error: {sent.describe(status, text)}"
        if status >= 400 or sent.method == "GET":
            assert after == before, (
                f"refused but written ({_diff(before, after)}): {sent.describe(status, text)}"
            )
        if target.where == "body" and hostile.kind in _hostile.BAD_TEXT:
            assert status == 422, f"bad text not refused with 422: {sent.describe(status, text)}"
            top = str(target.path[0]) if target.path else ""
            assert any(top in f for f in _error_fields(text)), (
                f"the 422 does not name {top or 'the field'}: {sent.describe(status, text)}"
            )
        if after == before:
            reads = [(harness.api, path) for path in QUICK_READS]
        else:
            touched = {name: harness.touched_ids(before, after, name) for name in no_change}
            reads = _reads(harness, touched)
        broken = _broken(reads)
        assert not broken, f"reads fail after {sent.describe(status, text)}: {broken}"

    attack()
    assert not (broken := _broken(_reads(harness, no_change))), broken


# --- a 50 MB anonymous body ------------------------------------------------------------------

FIFTY_MB = 50 * 1024 * 1024
CHUNK = 64 * 1024
LEADS = "/api/v1/leads"


@pytest.fixture
def small_app(tmp_path: Path) -> Iterator[Fenpei]:
    """fenpei on a migrated SQLite file: the body cap acts before any database work."""
    fenpei = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'fenpei.db'}"))
    upgrade(fenpei.engine)
    yield fenpei
    fenpei.close()


@dataclass
class Upload:
    """An ASGI ``receive`` handing out ``size`` bytes (``content``, else ``x``s) in 64 KiB
    chunks, only when asked; ``pulled`` counts what the app took. ``pause_at``: wait there
    until ``resume`` is set."""

    size: int
    content: bytes | None = None
    pulled: int = 0
    pause_at: int | None = None
    resume: asyncio.Event | None = None
    finished: bool = False

    async def __call__(self) -> dict[str, Any]:
        if self.finished:
            await asyncio.Event().wait()  # the body is over: wait for a disconnect, as servers do
        if self.pause_at is not None and self.pulled >= self.pause_at and self.resume:
            await self.resume.wait()
        start, self.pulled = self.pulled, min(self.size, self.pulled + CHUNK)
        body = self.content[start : self.pulled] if self.content else b"x" * (self.pulled - start)
        self.finished = self.pulled >= self.size
        return {"type": "http.request", "body": body, "more_body": not self.finished}


def _scope(method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def _call(app: Any, scope: dict[str, Any], receive: Any) -> int:
    """The status ``app`` answers ``scope`` with, the body read through ``receive``."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(next(m["status"] for m in sent if m["type"] == "http.response.start"))


async def _healthz(app: Any) -> int:
    return await _call(app, _scope("GET", "/healthz", {}), Upload(0))


@pytest.mark.parametrize(
    ("content_type", "cap_of"),
    [
        ("application/json", lambda s: s.max_body_bytes),
        ("multipart/form-data; boundary=x", lambda s: s.max_upload_bytes),
    ],
    ids=["json", "multipart"],
)
def test_a_streamed_50_mb_body_is_refused_at_the_cap_without_reading_on(
    small_app: Fenpei, content_type: str, cap_of: Any
) -> None:
    cap = cap_of(small_app.settings)
    upload = Upload(FIFTY_MB)  # no Content-Length: Transfer-Encoding chunked, as a stream

    status = run_async(
        _call(create_app(small_app), _scope("POST", LEADS, {"content-type": content_type}), upload)
    )

    assert status == 413
    assert upload.pulled <= cap + CHUNK, (upload.pulled, cap)


def test_a_declared_50_mb_body_is_refused_before_a_byte_is_read(small_app: Fenpei) -> None:
    upload = Upload(FIFTY_MB)
    headers = {"content-type": "application/json", "content-length": str(FIFTY_MB)}

    status = run_async(_call(create_app(small_app), _scope("POST", LEADS, headers), upload))

    assert status == 413
    assert upload.pulled == 0


def test_a_small_anonymous_body_is_read_and_refused_as_anonymous(small_app: Fenpei) -> None:
    """The control for the two tests above: below the cap the body is read and the answer
    is authentication's (so their 413s are about size)."""
    lead = b'{"name": "Wang Fang"}'
    upload = Upload(len(lead), lead)

    status = run_async(
        _call(
            create_app(small_app),
            _scope("POST", LEADS, {"content-type": "application/json"}),
            upload,
        )
    )

    assert (status, upload.pulled) == (401, len(lead))


def test_healthz_answers_while_a_big_body_trickles_in(small_app: Fenpei) -> None:
    web = create_app(small_app)
    cap = small_app.settings.max_body_bytes

    async def scenario() -> tuple[int, int, int]:
        resume = asyncio.Event()
        upload = Upload(FIFTY_MB, pause_at=cap // 2, resume=resume)
        big = asyncio.create_task(
            _call(web, _scope("POST", LEADS, {"content-type": "application/json"}), upload)
        )
        while upload.pulled < cap // 2:  # the upload is half way to the cap, and stalls
            await asyncio.sleep(0)
        health = await _healthz(web)
        still_uploading = int(not big.done())
        resume.set()
        return health, still_uploading, await big

    assert run_async(scenario()) == (200, 1, 413)


# --- the same over a real socket -----------------------------------------------------------------


class _Counting:
    """ASGI middleware counting the request body bytes the app pulls from the server, and
    the largest piece the server handed over at once (its read size, up to 256 KiB)."""

    def __init__(self, app: Any) -> None:
        self.app, self.pulled, self.largest = app, 0, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def counted() -> Any:
            message = await receive()
            self.pulled += len(message.get("body", b""))
            self.largest = max(self.largest, len(message.get("body", b"")))
            return message

        await self.app(scope, counted, send)


@pytest.fixture
def live_server(small_app: Fenpei) -> Iterator[tuple[int, _Counting]]:
    """uvicorn serving fenpei on a free port of 127.0.0.1, in a thread."""
    import uvicorn

    counting = _Counting(create_app(small_app))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        counting, log_level="warning", access_log=False, ws="none", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the test server did not start"
        threading.Event().wait(0.02)
    try:
        yield sock.getsockname()[1], counting
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def _status_line(connection: socket.socket) -> str:
    """The response's status line (read until the end of its headers)."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += chunk
    return received.split(b"\r\n", 1)[0].decode("latin-1")


def test_a_real_server_refuses_50_mb_headers_with_413_and_keeps_answering_healthz(
    live_server: tuple[int, _Counting],
) -> None:
    port, counting = live_server
    # Timeouts only stop a hang from hanging the run; nothing is asserted about time.
    with (
        socket.create_connection(("127.0.0.1", port), timeout=30) as big,
        socket.create_connection(("127.0.0.1", port), timeout=30) as health,
    ):
        big.sendall(
            f"POST {LEADS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {FIFTY_MB}\r\n\r\n".encode()
        )
        big_status = _status_line(big)  # answered with none of the 50 MB sent
        # The big request's connection is still open, its body unsent.
        health.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        health_status = _status_line(health)

    assert big_status.split()[1] == "413", big_status
    assert health_status.split()[1] == "200", health_status
    assert counting.pulled == 0


def test_a_real_server_stops_reading_a_chunked_50_mb_body_at_the_cap(
    small_app: Fenpei, live_server: tuple[int, _Counting]
) -> None:
    port, counting = live_server
    cap = small_app.settings.max_body_bytes
    chunk = b"%x\r\n%s\r\n" % (CHUNK, b"x" * CHUNK)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as big:
        big.sendall(
            f"POST {LEADS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        sent = 0
        try:  # send until the server stops taking it (it answers and closes), or 50 MB
            while sent < FIFTY_MB:
                big.sendall(chunk)
                sent += CHUNK
            big.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        status = _status_line(big)

    assert status.split()[1] == "413", status
    assert counting.pulled <= cap + counting.largest, (counting.pulled, cap, counting.largest)
