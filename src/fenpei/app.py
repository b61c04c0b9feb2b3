"""The ASGI application, composed once: http/ middleware, error handlers and CSRF check,
the JSON API under /api/v1 (api/), the pages (web/) and their static files.

The one module that sees both doors: api/ and web/ never import each other."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from fenpei import __version__
from fenpei.api.routes import (
    account,
    assignments,
    attachments,
    audit,
    backups,
    categories,
    customers,
    dedupe,
    duplicates,
    follow_ups,
    health,
    holdout,
    jobs,
    leads,
    metrics,
    notifications,
    org,
    pools,
    preferences,
    reclaim,
    redistribution,
    rules,
    scoring,
    sla,
    subscriptions,
    task_timers,
    task_webhooks,
    task_work,
    tasks,
    tokens,
    webhooks,
)
from fenpei.api.routes import exports as api_exports
from fenpei.api.routes import imports as imports_api
from fenpei.api.routes import sync as sync_api
from fenpei.api.schemas import ErrorRead
from fenpei.api.token_scopes import require_token_scope
from fenpei.bootstrap import Fenpei
from fenpei.http import input_guard
from fenpei.http.csrf import install_csrf_handler, require_csrf
from fenpei.http.errors import guard_responder, install_error_handlers
from fenpei.http.headers import ResponseHeaders
from fenpei.jobs.registry import scheduled_jobs
from fenpei.web import (
    auth,
    pages,
    pages_admin,
    pages_attachments,
    pages_backups,
    pages_categories,
    pages_dashboard,
    pages_dedupe,
    pages_exports,
    pages_follow_ups,
    pages_holdout,
    pages_imports,
    pages_jobs,
    pages_notifications,
    pages_optimal,
    pages_org,
    pages_pool,
    pages_pool_moves,
    pages_pool_settings,
    pages_preferences,
    pages_rules,
    pages_scoring,
    pages_scoring_card,
    pages_scoring_train,
    pages_sla,
    pages_subscriptions,
    pages_task_timers,
    pages_tasks,
)
from fenpei.web import pages_sync as pages_sync
from fenpei.web._export_words import export_words, reps_may_export
from fenpei.web.rendering import (
    STATIC_DIR,
    make_templates,
    render_csrf_page,
    render_error_page,
)

API_PREFIX = "/api/v1"
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorRead, "description": "Not logged in."},
    422: {"model": ErrorRead, "description": "A parameter is invalid; `errors` names it."},
}


def _api_v1() -> APIRouter:
    # Every route under it checks an API token's scope (a route added later too).
    router = APIRouter(
        prefix=API_PREFIX, responses=_ERRORS, dependencies=[Depends(require_token_scope)]
    )
    router.include_router(duplicates.router)  # before customers: /customers/duplicates
    router.include_router(customers.router, responses={404: {"model": ErrorRead}})
    router.include_router(follow_ups.router)
    router.include_router(attachments.router)
    router.include_router(tasks.router)
    router.include_router(task_work.router)
    router.include_router(org.router)
    router.include_router(categories.router)
    router.include_router(rules.router, responses={404: {"model": ErrorRead}})
    router.include_router(scoring.router)
    router.include_router(holdout.router)
    router.include_router(leads.router)
    router.include_router(assignments.router)
    router.include_router(pools.router)
    router.include_router(sla.router)
    router.include_router(task_timers.router)
    router.include_router(reclaim.router)
    router.include_router(reclaim.customers_router)
    router.include_router(redistribution.router)
    router.include_router(audit.router)
    router.include_router(dedupe.router)
    router.include_router(tokens.router)
    router.include_router(webhooks.router)
    router.include_router(task_webhooks.router)
    router.include_router(account.router)
    router.include_router(notifications.router)
    router.include_router(notifications.deliveries_router)
    router.include_router(jobs.router)
    router.include_router(subscriptions.router)
    router.include_router(preferences.account_router)
    router.include_router(preferences.defaults_router)
    router.include_router(sync_api.router)
    router.include_router(sync_api.hooks)
    router.include_router(api_exports.router)
    router.include_router(imports_api.router)
    router.include_router(backups.router)
    return router


def _lifespan(threads: int) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Requests run in worker threads (the routes are synchronous); at most ``threads``
        # at once, the rest wait their turn in arrival order. Fewer requests in flight
        # share the interpreter and the database with less contention, so the slowest
        # wait less (see ``FENPEI_HTTP_THREADS``).
        to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    return lifespan


def create_app(fenpei: Fenpei) -> FastAPI:
    """fenpei's web application over an already built ``Fenpei`` (nothing opened here)."""
    app = FastAPI(
        lifespan=_lifespan(fenpei.settings.http_threads),
        title="fenpei",
        version=__version__,
        summary="Customer assignment (客户分配): rules, capacity, explained decisions.",
        docs_url="/docs",
        redoc_url=None,
        # Every route, pages and API, a route added later too (see http/csrf.py).
        dependencies=[Depends(require_csrf)],
    )
    app.state.fenpei = fenpei
    # The composition root of the HTTP side: the one module above api/ and web/ that sees
    # jobs/ (its registry builds the jobs over ``fenpei``); routes and pages get them as
    # JobsDep.
    app.state.jobs = scheduled_jobs(fenpei)
    app.state.templates = make_templates(fenpei.settings)
    install_error_handlers(app, render_page=render_error_page)
    install_csrf_handler(app, render_page=render_csrf_page)
    auth.install_password_change_redirect(app)
    metrics.install(app)
    # Outermost last: every response gets the headers; nothing oversize or hostile gets
    # past the guard to routing, authentication or a parser.
    input_guard.install(
        app,
        max_body_bytes=fenpei.settings.max_body_bytes,
        max_upload_bytes=fenpei.settings.max_upload_bytes,
        respond=guard_responder(render_error_page),
    )
    app.add_middleware(ResponseHeaders)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(_api_v1())
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(pages_rules.router)
    app.include_router(pages_dashboard.router)
    app.include_router(pages_holdout.router)
    app.include_router(pages_org.router)
    app.include_router(pages_admin.router)
    app.include_router(pages_categories.router)
    app.include_router(pages_notifications.router)
    app.include_router(pages_preferences.router)
    app.include_router(pages_jobs.router)
    app.include_router(pages_sync.router)
    app.include_router(pages_scoring.router)
    app.include_router(pages_scoring_card.router)
    app.include_router(pages_pool.router)
    app.include_router(pages_follow_ups.router)
    app.include_router(pages_sla.router)
    app.include_router(pages_task_timers.router)
    app.include_router(pages_scoring_train.router)
    app.include_router(pages_pool_settings.router)
    app.include_router(pages_pool_moves.router)
    app.include_router(pages_optimal.router)
    app.include_router(pages_dedupe.router)
    app.include_router(pages_subscriptions.router)
    app.include_router(pages_tasks.router)
    app.include_router(pages_attachments.router)
    # Exports (services/exports): the API builds its words through this, not web/.
    app.state.export_words = export_words
    app.state.templates.env.globals["reps_may_export"] = reps_may_export
    app.include_router(pages_exports.router)
    app.include_router(pages_imports.router)
    app.include_router(pages_backups.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
