"""The scope an API token needs for a request, derived from the matched route.

Attached to the whole /api/v1 router, so a route added later is covered without doing
anything: its router's first tag is the area, the method says read or write. A route
without a tag needs the scope ``untagged:…``, which only ``*`` grants.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.routing import APIRoute

from fenpei.domain.scopes import scope_for
from fenpei.http.deps import PrincipalDep
from fenpei.services import tokens

UNTAGGED = "untagged"


def required_scope(request: Request) -> str:
    """``customers:read`` for a GET of a route tagged customers, and so on."""
    route = request.scope.get("route")
    tags = route.tags if isinstance(route, APIRoute) else []
    area = str(tags[0]) if tags else UNTAGGED
    return scope_for(area, request.method)


def require_token_scope(request: Request, principal: PrincipalDep) -> None:
    """A token must hold the route's scope (403 naming it); sessions and anonymous
    requests pass (routes decide whether they need a login)."""
    if principal is not None and principal.token is not None:
        tokens.require_scope(principal.token, required_scope(request))
