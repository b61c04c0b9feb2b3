"""Logging a benchmark client in as the seeded admin.

An API token when fenpei can make one (``Authorization: Bearer``: no cookie, no CSRF);
otherwise the session cookie from ``POST /login``, with the CSRF token fenpei's pages carry
in ``<meta name="csrf-token">`` sent back as ``X-CSRF-Token`` (see ``fenpei.http.csrf``).
Works with any client shaped like httpx's (``TestClient``, ``httpx2.Client``).
"""

from __future__ import annotations

import re
from typing import Any

from bench._org import ADMIN_PASSWORD, ADMIN_USERNAME
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM

_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def api_token(fenpei: Fenpei) -> str | None:
    """A fresh token for the admin with every scope, or None if this fenpei has no tokens."""
    try:
        from fenpei.services.tokens import create_token
    except ImportError:
        return None
    with fenpei.uow() as uow:
        _, plaintext = create_token(
            uow=uow,
            username=ADMIN_USERNAME,
            name="bench",
            scopes=["*"],
            actor=SYSTEM,
            now=fenpei.now(),
        )
        uow.commit()
    return plaintext


def log_in(client: Any, fenpei: Fenpei) -> tuple[dict[str, str], str]:
    """Authenticate ``client``; returns the headers every request must carry and how."""
    token = api_token(fenpei)
    if token is not None:
        return {"Authorization": f"Bearer {token}"}, "API token (Bearer)"
    form = {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD, "next": "/"}
    if csrf := _page_csrf(client, "/login"):  # sets the browser's CSRF cookie
        form["csrf_token"] = csrf
    response = client.post("/login", data=form, follow_redirects=False)
    if response.status_code != 303:
        raise RuntimeError(f"log-in refused: {response.status_code} {response.text[:200]}")
    csrf = _page_csrf(client, "/")  # the token is bound to the new session
    return ({"X-CSRF-Token": csrf} if csrf else {}), "session cookie" + (" + CSRF" if csrf else "")


def _page_csrf(client: Any, path: str) -> str | None:
    response = client.get(path, follow_redirects=True)
    found = _META.search(response.text)
    return found.group(1) if found else None
