"""The app the HTTP benchmark serves: fenpei's own, plus a bench-only baseline route.

``POST /api/bench/bare`` stores a customer row with the same columns a lead fills, in a single
INSERT (no validation, routing, audit or ORM): the cheapest write an HTTP endpoint can do.
Run by uvicorn as a factory (``bench._http_app:app_from_env``), so each worker process
builds its own ``Fenpei`` from ``FENPEI_*`` variables, as ``fenpei serve`` does.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, status

from fenpei.adapters.db import tables as t
from fenpei.api.app import create_app
from fenpei.api.deps import FenpeiDep
from fenpei.bootstrap import bootstrap

BARE_PATH = "/api/bench/bare"  # under /api/: CSRF-exempt with a bearer token, as the leads are
router = APIRouter()


@router.post(BARE_PATH, status_code=status.HTTP_201_CREATED)
def bare_insert(body: dict[str, Any], fenpei: FenpeiDep) -> dict[str, int | None]:
    """One INSERT of a customer row, in its own transaction."""
    now: datetime = fenpei.now()
    values = {
        name: body.get(name) for name in ("name", "region", "level", "industry", "source", "email")
    }
    with fenpei.engine.begin() as connection:
        new_id = connection.scalar(
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
    return {"id": new_id}


def app_from_env() -> FastAPI:
    """fenpei's app over the database ``FENPEI_DATABASE_URL`` names, with the bare route."""
    app = create_app(bootstrap())
    app.include_router(router)
    return app
