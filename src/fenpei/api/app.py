"""The ASGI application: JSON API under /api/v1, pages, static files, one error shape."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from fenpei import __version__
from fenpei.api.errors import install_error_handlers
from fenpei.api.routes import assignments, audit, customers, health, leads, metrics, org, rules
from fenpei.api.schemas import ErrorRead
from fenpei.bootstrap import Fenpei
from fenpei.web import auth, pages
from fenpei.web.rendering import STATIC_DIR, make_templates, render_error_page

API_PREFIX = "/api/v1"
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorRead, "description": "Not logged in."},
    422: {"model": ErrorRead, "description": "A parameter is invalid; `errors` names it."},
}


def _api_v1() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX, responses=_ERRORS)
    router.include_router(customers.router, responses={404: {"model": ErrorRead}})
    router.include_router(org.router)
    router.include_router(rules.router, responses={404: {"model": ErrorRead}})
    router.include_router(leads.router)
    router.include_router(assignments.router)
    router.include_router(audit.router)
    return router


def create_app(fenpei: Fenpei) -> FastAPI:
    """fenpei's web application over an already built ``Fenpei`` (nothing opened here)."""
    app = FastAPI(
        title="fenpei",
        version=__version__,
        summary="Customer assignment (客户分配): rules, capacity, explained decisions.",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.fenpei = fenpei
    app.state.templates = make_templates(fenpei.settings)
    install_error_handlers(app, render_page=render_error_page)
    metrics.install(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(_api_v1())
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
