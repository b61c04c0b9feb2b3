"""Browser tests: the real app served by uvicorn, driven by Playwright in Debian's Chromium.

Contract for the test modules:

- ``live`` (one per test module): ``.base_url`` of a running server over a fresh, seeded
  SQLite file and ``.world`` with the seeded ids (see ``BrowserWorld``).
- ``login(page, live, username, lang="en")`` logs a page in (password ``PASSWORD``).
- ``shot(page, name)`` saves ``tests/browser/screenshots/<lang>/<name>.png``.
- ``page`` (1280×900) and ``phone_page`` (390×844): fresh pages with their own cookies;
  an uncaught JavaScript error on them fails the test.

Playwright's browser download does not work on these machines: the tests launch the
Chromium that ``scripts/browser-for-tests.sh`` installs (``FENPEI_TEST_CHROMIUM``). Without
it they skip with the reason, unless ``CI=true`` / ``FENPEI_TEST_BROWSER_REQUIRED=1``.
Each module's tests stay on one xdist worker (one server per module, tests in file order).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from fenpei.adapters.db.migrate import upgrade
from fenpei.adapters.storage.local import LocalFileStore
from fenpei.app import create_app
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.config import Settings
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import assignments, org, rules, users
from fenpei.services.categories import ensure_default_categories
from fenpei.services.customers import create_customer
from tests.fakes.hasher import FakeHasher

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

PASSWORD = "browser tests password"
HERE = Path(__file__).parent
SCREENSHOTS = HERE / "screenshots"
CHROMIUM = os.environ.get("FENPEI_TEST_CHROMIUM", "/usr/bin/chromium")
BROWSER_REQUIRED = (
    os.environ.get("FENPEI_TEST_BROWSER_REQUIRED") == "1" or os.environ.get("CI") == "true"
)
# Without the background-networking flags Chromium keeps calling hosts it cannot reach here.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Generous: a page that answers waits no longer for it; a 2-core machine running the whole
# suite beside the browser once took over 10 s to serve a login page.
TIMEOUT_MS = 30_000


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (run: . scripts/browser-for-tests.sh)"
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test here ``browser`` and skip them without Chromium. (A module's tests
    share one live server and build on each other: ``make test`` runs with
    ``--dist loadfile``, which keeps each module on one worker.)"""
    problem = _missing_browser()
    for item in items:
        if HERE not in Path(item.path).parents:
            continue
        item.add_marker(pytest.mark.browser)
        if problem and not BROWSER_REQUIRED:
            item.add_marker(pytest.mark.skip(reason=problem))


# --- the seeded world -----------------------------------------------------------------------


@dataclass(frozen=True)
class BrowserWorld:
    """What the live server's database holds, by id."""

    team_east: int
    team_west: int
    moses: int  # rep, user "rep", East
    darcel: int  # rep, East
    rosie: int  # rep, user "rep2", West
    acme: int  # owned by Moses (taken from Darcel with a reason)
    west_co: int  # owned by Rosie
    xss: int  # named <script>alert(1)</script>, owned by Moses
    pool: int  # nobody's customer (公海)
    default_rule: int
    east_rule: int


def _id(value: int | None) -> int:
    assert value is not None
    return value


def seed(fenpei: Fenpei) -> BrowserWorld:
    """Teams, reps, one user per role, a few customers, two rules and some history."""
    now = fenpei.now()
    start = now - timedelta(days=3)
    with fenpei.uow() as uow:
        ensure_default_categories(uow=uow, actor=SYSTEM, now=start)

        def user(name: str, role: Role, display: str, rep_id: int | None = None) -> int:
            made = users.create_user(
                uow=uow,
                hasher=fenpei.hasher,
                username=name,
                password=PASSWORD,
                role=role,
                display_name=display,
                rep_id=rep_id,
                actor=SYSTEM,
                now=start,
            )
            return _id(made.id)

        manager = user("manager", Role.manager, "Mia Manager 经理")
        east = _id(
            org.create_team(
                uow=uow,
                name="East 华东",
                region="East",
                manager_user_id=manager,
                actor=SYSTEM,
                now=start,
            ).id
        )
        west = _id(
            org.create_team(uow=uow, name="West 华西", region="West", actor=SYSTEM, now=start).id
        )

        def rep(name: str, team_id: int) -> int:
            made = org.create_rep(
                uow=uow, fields={"name": name, "team_id": team_id}, actor=SYSTEM, now=start
            )
            return _id(made.id)

        moses, darcel, rosie = (
            rep("Moses Frase", east),
            rep("Darcel Schlecht", east),
            rep("Rosie Papadopoulos", west),
        )
        user("admin", Role.admin, "Ada Admin")
        user("rep", Role.rep, "Moses Frase", rep_id=moses)
        user("rep2", Role.rep, "Rosie Papadopoulos", rep_id=rosie)
        user("auditor", Role.auditor, "Audrey Auditor")

        def customer(minutes: int, **fields: Any) -> int:
            made = create_customer(
                uow=uow, fields=fields, actor=SYSTEM, now=start + timedelta(minutes=minutes)
            )
            return _id(made.id)

        acme = customer(
            1, name="Acme 上海", company_name="Acme", region="East", level="A", phone="13800138000"
        )
        west_co = customer(2, name="West Co 成都", company_name="West Co", region="West")
        xss = customer(3, name="<script>alert(1)</script>", company_name="<b>Evil</b> Corp")
        pool = customer(4, name="Globex 北京", region="North", industry="retail", stage="won")
        default_rule = _id(rules.ensure_default_rule(uow=uow, actor=SYSTEM, now=start).id)
        east_rule = _id(
            rules.create_rule(
                uow=uow,
                fields={
                    "name": "East → East team",
                    "priority": 10,
                    "conditions": {"all": [{"field": "region", "op": "eq", "value": "East"}]},
                    "target": {"kind": "team", "team_id": east},
                    "strategy": "round_robin",
                },
                actor=SYSTEM,
                now=start,
            ).id
        )
        uow.commit()
    moments = iter(start + timedelta(hours=h) for h in range(1, 10))
    for customer_id, rep_id, reason in [
        (acme, darcel, None),
        (acme, moses, "Darcel is on leave"),
        (west_co, rosie, None),
        (xss, moses, None),
    ]:
        with fenpei.uow() as uow:
            assignments.assign(
                uow=uow,
                customer_id=customer_id,
                rep_id=rep_id,
                actor=SYSTEM,
                now=next(moments),
                reason=reason,
            )
            uow.commit()
    return BrowserWorld(
        east, west, moses, darcel, rosie, acme, west_co, xss, pool, default_rule, east_rule
    )


# --- the live server ------------------------------------------------------------------------


@dataclass(frozen=True)
class Live:
    """A running server: where it answers, what it holds, and fenpei itself (to read data)."""

    base_url: str
    world: BrowserWorld
    fenpei: Fenpei

    def url(self, path: str) -> str:
        return self.base_url + path


def _serve(fenpei: Fenpei) -> tuple[str, Any, threading.Thread]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(fenpei), log_level="warning", access_log=False, ws="none", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """fenpei on a fresh seeded SQLite file, served on 127.0.0.1 for this test module."""
    folder = tmp_path_factory.mktemp("live")
    settings = Settings(database_url=f"sqlite:///{folder / 'fenpei.db'}")
    fenpei = bootstrap(settings)
    # argon2 costs about a second a login; these tests log in often, and test pages, not it.
    fenpei.hasher = FakeHasher()
    fenpei.files = LocalFileStore(folder / "files")  # attachments: not the working directory
    upgrade(fenpei.engine)
    world = seed(fenpei)
    base_url, server, thread = _serve(fenpei)
    try:
        yield Live(base_url, world, fenpei)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        fenpei.close()


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    problem = _missing_browser()
    if problem:
        if BROWSER_REQUIRED:
            pytest.fail(f"{problem} (required because CI=true)")
        pytest.skip(problem)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    """One Chromium per test session (per xdist worker)."""
    launched = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


def _new_page(browser: Browser, **options: Any) -> Iterator[Page]:
    """A page in its own context; a script error on any page it showed fails the test."""
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
    try:
        yield page
    finally:
        context.close()
    if script_errors:
        pytest.fail("JavaScript errors on the page:\n" + "\n".join(script_errors))


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page (own cookies) at desktop width, 1280×900."""
    yield from _new_page(browser, viewport=DESKTOP)


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A fresh page (own cookies) at phone width, 390×844, touch."""
    yield from _new_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)


def login(page: Page, live: Live, username: str, lang: str = "en") -> None:
    """Log ``page`` in as ``username`` (password ``PASSWORD``) with the language set."""
    page.goto(live.url(f"/login?lang={lang}"))
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(PASSWORD)
    with page.expect_navigation():
        page.locator('form[action="/login"] [type="submit"]').click()
    assert "/login" not in page.url, f"login as {username!r} failed: {page.url}"


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as ``screenshots/<lang>/<name>.png`` (lang from <html>)."""
    lang = page.locator("html").get_attribute("lang") or "unknown"
    path = SCREENSHOTS / lang / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
