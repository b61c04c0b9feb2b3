"""The web app for a test: one built per test process and settings, lent to each test.

Tests anywhere (e2e, integration, browser) get it through ``asgi_app``; tests/conftest.py
takes every lent app back when a test ends."""

from __future__ import annotations

from fastapi import FastAPI

from fenpei.app import create_app
from fenpei.bootstrap import Fenpei
from fenpei.jobs.registry import scheduled_jobs

# Apps built in this test process, by the settings they were built with (all but the
# database's address): the ones free, and the ones lent to the running test.
_FREE_APPS: dict[str, list[FastAPI]] = {}
_LENT_APPS: list[tuple[str, FastAPI]] = []


# Settings an app reads from ``app.state.fenpei`` on each request, never while it is built:
# each test has its own (a database, and folders of its own for backups and attachments).
_READ_PER_REQUEST = {"database_url", "backup_dir", "files_dir"}


def _app_key(fenpei: Fenpei) -> str:
    return fenpei.settings.model_dump_json(exclude=_READ_PER_REQUEST)


def asgi_app(fenpei: Fenpei) -> FastAPI:
    """The ASGI app over ``fenpei`` for the running test: built by ``create_app`` once per
    test process (and settings), then lent to each test re-pointed at its ``fenpei``.

    Building one costs about a second of CPU (FastAPI builds every route, on the app and on
    its first requests; Jinja compiles each page anew), which most tests here paid once or
    more. What ``create_app`` derives from ``fenpei`` is made anew for each test (the
    scheduled jobs) or emptied (the request metrics); the rest depends on the settings
    only, which are part of the key. The same ``fenpei`` gets the same app within a test;
    another one (a second database) gets another app. Call it from a test or a
    function-scoped fixture only: the apps are taken back when each test ends (the autouse
    ``_asgi_apps_taken_back`` of tests/conftest.py)."""
    key = _app_key(fenpei)
    for lent_key, lent in _LENT_APPS:
        if lent_key == key and lent.state.fenpei is fenpei:
            return lent
    free = _FREE_APPS.setdefault(key, [])
    if free:
        app = free.pop()
        app.state.fenpei = fenpei
        app.state.jobs = scheduled_jobs(fenpei)
        # The middleware holds this object: empty it in place (create_app starts it empty).
        app.state.request_metrics.__init__()
    else:
        app = create_app(fenpei)
    _LENT_APPS.append((key, app))
    return app


def take_back() -> None:
    """The apps lent during the test that ends are free for the next one."""
    for key, app in _LENT_APPS:
        _FREE_APPS[key].append(app)
    _LENT_APPS.clear()
