"""``GET /healthz``: is this process up and can it reach its database?"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from fenpei.api.schemas import Health
from fenpei.http.deps import FenpeiDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database is unreachable."}},
)
def healthz(fenpei: FenpeiDep) -> JSONResponse:
    """Public: `{"status": "ok", "database": "ok"}`, or 503 when the database does not answer."""
    try:
        with fenpei.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception:  # whatever the failure, the answer is "unreachable"
        log.warning("health check: database unreachable", exc_info=True)
        body = Health(status="unavailable", database="unreachable")
        return JSONResponse(body.model_dump(), status_code=503)
    return JSONResponse(Health(status="ok", database="ok").model_dump())
