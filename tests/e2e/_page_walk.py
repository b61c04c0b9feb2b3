"""Every GET page of the web app, with its path parameters filled from a seeded world.

The routes are read from the app itself, so a page added later is walked too; a path
parameter the world has no id for fails loudly (add it to ``ids``), rather than the page
being skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI
from starlette.routing import BaseRoute, Route

_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


def _routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    for route in routes:
        included: Any = getattr(route, "original_router", None)
        if included is not None:  # FastAPI's lazily included router
            yield from _routes(included.routes, prefix + (route.include_context.prefix or ""))  # type: ignore[attr-defined]
        elif isinstance(route, Route):
            yield prefix + route.path, route


def page_paths(app: FastAPI) -> list[str]:
    """The paths (templates) of every GET route whose endpoint lives in ``fenpei.web``."""
    return sorted(
        {
            path
            for path, route in _routes(app.router.routes)
            if "GET" in (route.methods or ())
            and getattr(route.endpoint, "__module__", "").startswith("fenpei.web")
        }
    )


def filled(path: str, ids: Mapping[str, int | str]) -> str:
    """``/reps/{rep_id}`` → ``/reps/7``; an unknown parameter name fails."""

    def fill(found: re.Match[str]) -> str:
        name = found.group(1)
        assert name in ids, f"{path}: no seeded id for {{{name}}}: add one to the world"
        return str(ids[name])

    return _PARAMETER.sub(fill, path)
