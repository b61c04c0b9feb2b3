"""Rendering pages: the Jinja2 environment, the page language, the error page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from fenpei.config import Language, Mode, Settings
from fenpei.domain import limits
from fenpei.domain.users import User
from fenpei.http.csrf import CSRF_FIELD, page_token, set_csrf_cookie
from fenpei.http.deps import get_session_user
from fenpei.http.sessions import SESSION_COOKIE
from fenpei.web._category_words import category_name, value_label
from fenpei.web._explain import actor_name, failed_text
from fenpei.web._reasons import exclusion_text, pool_name, queue_reason_text
from fenpei.web._said import said, stored_reason
from fenpei.web.i18n import (
    LANGUAGE_COOKIE,
    LANGUAGE_NAMES,
    Translate,
    number_formatter,
    parse_language,
    time_formatter,
    translator,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
LANGUAGE_COOKIE_AGE = timedelta(days=365)
_ERROR_MESSAGE_KEYS = {
    422: "error.invalid",
    403: "error.forbidden",
    404: "error.not_found",
    409: "error.conflict",
    503: "error.unavailable",
}
_LIMIT_MESSAGE_KEYS = {
    limits.NUL_MESSAGE: "error.text_nul",
    limits.SURROGATE_MESSAGE: "error.text_surrogate",
    limits.NESTING_MESSAGE: "error.nesting",
    limits.DATE_MESSAGE: "error.date_range",
}


def make_templates(settings: Settings) -> Jinja2Templates:
    """The page templates, autoescaped, with times shown in the configured zone."""
    zone = settings.zone

    def local(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
        return "" if value is None else value.astimezone(zone).strftime(pattern)

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local_time"] = local
    env.filters["local_date"] = lambda value: local(value, "%Y-%m-%d")
    env.globals["csrf_input"] = csrf_input
    env.globals["exclusion_text"] = exclusion_text
    env.globals["value_label"] = value_label
    env.globals["category_name"] = category_name
    env.globals["actor_name"] = actor_name
    env.globals["said"] = said
    env.globals["stored_reason"] = stored_reason
    env.globals["failed_text"] = failed_text
    env.globals["queue_reason_text"] = queue_reason_text
    env.globals["pool_name"] = pool_name
    return Jinja2Templates(env=env)


@jinja2.pass_context
def csrf_input(context: jinja2.runtime.Context) -> Markup:
    """The hidden CSRF field every ``<form method="post">`` carries: ``{{ csrf_input() }}``."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, context["csrf_token"]
    )


def page_language(request: Request) -> Language:
    """``?lang=`` if given, else the ``lang`` cookie, else the configured language."""
    chosen = parse_language(request.query_params.get("lang"))
    remembered = parse_language(request.cookies.get(LANGUAGE_COOKIE))
    default: Language = request.app.state.fenpei.settings.language
    return chosen or remembered or default


def _language_links(request: Request) -> list[tuple[str, str, str]]:
    links = []
    for language, name in LANGUAGE_NAMES.items():
        params = {**request.query_params, "lang": language.value}
        links.append((language.value, name, f"{request.url.path}?{urlencode(params)}"))
    return links


def is_htmx(request: Request) -> bool:
    """Whether htmx sent the request and wants a fragment. A boosted link wants the page, and
    so does a history restore after a cache miss (it asks with HX-Request too)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    fragment: str | None = None,
) -> Response:
    """Render a page in the request's language with its CSRF token; ``?lang=`` is remembered
    in a cookie, and so is a new browser's CSRF value.

    With ``fragment`` (a partial template, ``_rows.html``), an htmx request gets only that
    partial, rendered with the same context; a normal request gets the page ``name``."""
    if fragment is not None and is_htmx(request):
        name = fragment
    language = page_language(request)
    settings: Settings = request.app.state.fenpei.settings
    csrf = page_token(request, secret=settings.secret_key)
    full = {
        "t": translator(language),
        "n": number_formatter(language),
        "when": time_formatter(language, settings.zone),
        "lang": language,
        "language_links": _language_links(request),
        "user": None,
        "active": "",
        "csrf_token": csrf.value,
        **(context or {}),
    }
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, full, status_code=status_code)
    response.headers["Vary"] = "HX-Request"  # one URL, two answers: caches must tell them apart
    if csrf.new_cookie is not None:
        set_csrf_cookie(response, csrf.new_cookie, secure=settings.mode is Mode.production)
    if parse_language(request.query_params.get("lang")) is not None:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language.value,
            max_age=int(LANGUAGE_COOKIE_AGE.total_seconds()),
            httponly=True,
            samesite="lax",
        )
    return response


def safe_next(value: str | None, default: str = "/customers") -> str:
    """``value`` if it is a path on this site; anything else (``//evil``, ``https:``) → default."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in value)
    ):
        return default
    return value


def login_url(request: Request) -> str:
    """The login page, coming back here after."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?" + urlencode({"next": here})


def _session_user(request: Request) -> User | None:
    """The logged-in user for the error page's navigation, if it can be had; an error page
    must render even when the database is the problem."""
    if SESSION_COOKIE not in request.cookies:
        return None
    try:
        fenpei = request.app.state.fenpei
        with fenpei.uow(read_only=True) as uow:
            user: User | None = get_session_user(request, fenpei, uow)
            return user
    except Exception:  # the error page itself must not fail
        return None


def _error_message(t: Translate, status: int, body: dict[str, Any]) -> str:
    if status == 500:
        return t("error.internal", request_id=body.get("request_id", "-"))
    if status == 413:
        limit = "".join(ch for ch in str(body.get("message", "")) if ch.isdigit())
        return t("error.too_large", limit=limit or "?")
    if status == 422 and not body.get("errors"):
        return t("error.bad_request", details=body.get("message", ""))
    key = _ERROR_MESSAGE_KEYS.get(status)
    return t(key) if key else t("error.bad_request", details=body.get("message", ""))


def _field_errors(t: Translate, body: dict[str, Any]) -> list[dict[str, str]]:
    """The body's field errors, the input limits' messages in the page's language."""
    return [
        {
            "field": e.get("field", ""),
            "message": t(_LIMIT_MESSAGE_KEYS[e["message"]])
            if e.get("message") in _LIMIT_MESSAGE_KEYS
            else said(t, e.get("message", "")),
        }
        for e in body.get("errors", [])
    ]


def render_error_page(request: Request, status: int, body: dict[str, Any]) -> Response:
    """The page for an error: 401 sends the browser to log in, the rest explain themselves."""
    if status == 401:
        return RedirectResponse(login_url(request), status_code=303)
    t = translator(page_language(request))
    context = {
        "status": status,
        "message": _error_message(t, status, body),
        "errors": _field_errors(t, body),
        "user": None if is_htmx(request) else _session_user(request),
    }
    return render(request, "error.html", context, status_code=status, fragment="_error.html")


def render_csrf_page(request: Request, status: int, body: dict[str, Any]) -> Response:
    """The page for a form refused for its CSRF token: what happened and what to do."""
    t = translator(page_language(request))
    context = {"status": status, "message": t("error.csrf"), "errors": []}
    return render(request, "error.html", context, status_code=status, fragment="_error.html")
