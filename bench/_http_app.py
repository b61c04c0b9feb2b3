"""The app the HTTP benchmark serves: fenpei's own, plus a bench-only baseline route.

``POST /api/bench/bare`` stores a customer row with the same columns a lead fills, in a single
INSERT (no validation, routing, audit or ORM): the cheapest write an HTTP endpoint can do.
``POST /api/bench/bare-authed`` does the same INSERT behind the authentication the leads
route has (API token looked up with its user, token scope, admin-or-manager check): auth is
not what is being compared, so this is the fairer baseline; both are reported.
Run by uvicorn as a factory (``bench._http_app:app_from_env``), so each worker process
builds its own ``Fenpei`` from ``FENPEI_*`` variables, as ``fenpei serve`` does.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, status

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.api.token_scopes import require_token_scope
from fenpei.app import create_app
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.http.deps import FenpeiDep, UowDep, WriterActor

BARE_PATH = "/api/bench/bare"  # under /api/: CSRF-exempt with a bearer token, as the leads are
AUTHED_PATH = "/api/bench/bare-authed"
router = APIRouter()


@router.post(BARE_PATH, status_code=status.HTTP_201_CREATED)
def bare_insert(body: dict[str, Any], fenpei: FenpeiDep) -> dict[str, int]:
    """One INSERT of a customer row, in its own transaction."""
    return {"id": _insert(body, fenpei)}


# The leads route's auth, dependency for dependency: CSRF (app-wide), the token's scope (as
# on /api/v1, tagged "leads": leads:write), the bearer token and its user, the writer check.
@router.post(
    AUTHED_PATH,
    status_code=status.HTTP_201_CREATED,
    tags=["leads"],
    dependencies=[Depends(require_token_scope)],
)
def authed_bare_insert(
    body: dict[str, Any], fenpei: FenpeiDep, uow: UowDep, actor: WriterActor
) -> dict[str, int]:
    """The same single INSERT, for an authenticated admin or manager, in the request's own
    transaction (the one authentication read through): one connection per request, as
    the leads route has. A second connection while holding the first starves the pool."""
    assert isinstance(uow.customers, Repository)
    new_id = uow.customers.session.scalar(_statement(body, fenpei.now()))
    uow.commit()
    return {"id": int(new_id)}


def _insert(body: dict[str, Any], fenpei: Fenpei) -> int:
    with fenpei.engine.begin() as connection:
        new_id = connection.scalar(_statement(body, fenpei.now()))
    return int(new_id)


def _statement(body: dict[str, Any], now: datetime) -> sa.Insert:
    values = {
        name: body.get(name) for name in ("name", "region", "level", "industry", "source", "email")
    }
    return (
        sa.insert(t.customers)
        .values(
            **values,
            expected_value=Decimal(str(body.get("expected_value") or 0)),
            stage="new",
            tags=[],
            custom={},
            created_at=now,
            updated_at=now,
        )
        .returning(t.customers.c.id)
    )


def app_from_env() -> FastAPI:
    """fenpei's app over the database ``FENPEI_DATABASE_URL`` names, with the bare route."""
    app = create_app(bootstrap())
    app.include_router(router)
    return app
