"""What an API token may do: ``<area>:read`` or ``<area>:write`` per area, or ``*`` for all.

An area is the tag of an API router (customers, rules, …). A GET or HEAD request needs
the area's read scope, any other method its write scope. Scopes only narrow a token:
its user's role still applies.
"""

from __future__ import annotations

from collections.abc import Collection

ALL = "*"
AREAS = (
    "assignments",
    "audit",
    "backups",
    "categories",
    "customers",
    "deliveries",
    "exports",
    "jobs",
    "leads",
    "notifications",
    "org",
    "pools",
    "rules",
    "scoring",
    "sla",
    "subscriptions",
    "sync",
    "tasks",
    "tokens",
    "users",
)
KNOWN_SCOPES = frozenset(
    {ALL} | {f"{area}:{access}" for area in AREAS for access in ("read", "write")}
)
_READ_METHODS = frozenset({"GET", "HEAD"})


def scope_for(area: str, method: str) -> str:
    """The scope a request needs: ``customers:read`` for ``GET`` under customers."""
    return f"{area}:{'read' if method.upper() in _READ_METHODS else 'write'}"


def grants(scopes: Collection[str], needed: str) -> bool:
    """Whether ``scopes`` include ``needed`` (``*`` includes everything)."""
    return ALL in scopes or needed in scopes
