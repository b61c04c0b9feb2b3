"""The rule condition language: a JSON tree, validated into a typed tree, compiled once.

A tree is ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": {...}}`` or a leaf
``{"field": "region", "op": "eq", "value": "East"}``. The empty tree ``{}`` is always true
(the default catch-all rule uses it); an empty ``all`` / ``any`` list is an error.

Ops by field type (fields come from ``fields.field_catalog``):

- text: eq, ne, in, not_in, contains, starts_with, regex
- choice (stage, custom choices): eq, ne, in, not_in, with values among the choices
- number: eq, ne, in, not_in, gt, gte, lt, lte, between (inclusive [low, high])
- date: eq, ne, in, not_in, gt … between, within_days, older_than_days (values YYYY-MM-DD)
- datetime: gt … between, within_days, older_than_days, in_business_hours; values are
  ISO date-times (no offset: read in the rule's zone) or dates (the whole day in that zone:
  ``lte "2024-05-31"`` includes all of May 31)
- list of text (tags): contains (has the tag), in (has any of), not_in (has none of)
- every type: is_empty, is_not_empty (no value)

Text compares case-insensitively after stripping (``fields.fold``): eq / in / contains /
starts_with on both sides. ``regex`` searches the text as stored, case-sensitively unless
the pattern says ``(?i)``; it runs on RE2 (see ``_regex``), at most 200 characters.

Missing values: a field is missing when it is None, blank text or an empty tag list. Then
is_empty, ne and not_in are true and every other op (is_not_empty, eq, in, comparisons,
contains, starts_with, regex, within/older, in_business_hours) is false, so ``ne`` is
exactly ``not eq`` and ``not_in`` exactly ``not in``.

within_days N: the value is at or after ``now - N days`` (future values count);
older_than_days N: before it; a value exactly N days old is within, not older. On a date
field both count whole days back from today in the rule's zone. in_business_hours: the
value falls on one of ``weekdays`` (0 = Monday) between ``hours`` [start, end) in
``time_zone``; defaults Mon–Fri 09:00–18:00 Asia/Shanghai.
"""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from fenpei.domain.errors import FieldError, ValidationFailed
from tests._engine_a29a49e._compile import Predicate, compile_conditions
from tests._engine_a29a49e._describe import describe, equality_keys, leaf_text, normalise_key
from tests._engine_a29a49e._nodes import Age, All, Any, BusinessHours, Leaf, Node, Not, Op, Span
from tests._engine_a29a49e._ops import LEAF_KEYS, OPS_BY_TYPE, _Bad, parse_leaf, shown, suggestion
from tests._engine_a29a49e._ops import time_zone as _time_zone
from tests._engine_a29a49e.fields import FieldSpec

__all__ = [
    "DEFAULT_TIME_ZONE",
    "MAX_DEPTH",
    "MAX_LEAVES",
    "OPS_BY_TYPE",
    "Age",
    "All",
    "Any",
    "BusinessHours",
    "Leaf",
    "Node",
    "Not",
    "Op",
    "Predicate",
    "Span",
    "compile_conditions",
    "describe",
    "equality_keys",
    "leaf_text",
    "normalise_key",
    "parse_conditions",
]

DEFAULT_TIME_ZONE = "Asia/Shanghai"
MAX_DEPTH = 20
MAX_LEAVES = 500
MAX_ERRORS = 100  # past this a tree is garbage; listing more helps nobody
GROUP_KEYS = ("all", "any", "not")


class _Parser:
    def __init__(self, catalog: Mapping[str, FieldSpec], zone: ZoneInfo, root: str) -> None:
        self.catalog, self.zone, self.root = catalog, zone, root
        self.errors: list[FieldError] = []
        self.leaves = 0

    def error(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    @property
    def given_up(self) -> bool:
        return self.leaves > MAX_LEAVES or len(self.errors) >= MAX_ERRORS

    def node(self, raw: object, path: str, depth: int) -> Node | None:
        if self.given_up:
            return None
        if depth > MAX_DEPTH:
            self.error(path, f"is nested more than {MAX_DEPTH} levels deep")
            return None
        if not isinstance(raw, dict):
            what = "a condition object (all, any, not or field)"
            self.error(path, f"needs {what}, got {shown(raw)}")
            return None
        if not raw:
            self.error(path, "is empty; only the whole tree may be {} (always true)")
            return None
        kinds = [key for key in (*GROUP_KEYS, "field") if key in raw]
        if len(kinds) > 1:
            both = " and ".join(repr(k) for k in kinds)
            self.error(path, f"has {both}; a condition is one of all, any, not or a field test")
            return None
        kind = kinds[0] if kinds else "field"
        allowed = LEAF_KEYS if kind == "field" else (kind,)
        unknown = [key for key in raw if key not in allowed]
        for key in unknown:
            hint = suggestion(key, [*allowed, *GROUP_KEYS]) if isinstance(key, str) else ""
            self.error(path, f"unknown key {shown(key)}{hint}")
        if kind == "not":
            child = self.node(raw["not"], f"{path}.not", depth + 1)
            return Not(child) if child is not None and not unknown else None
        if kind in ("all", "any"):
            return self.group(kind, raw[kind], path, depth, bad=bool(unknown))
        if unknown:
            return None
        self.leaves += 1
        if self.leaves == MAX_LEAVES + 1:
            self.error(self.root, f"has more than {MAX_LEAVES} field tests; split the rule")
        if self.leaves > MAX_LEAVES:
            return None
        leaf, errors = parse_leaf(raw, path, self.catalog, self.zone)
        self.errors += errors
        return leaf

    def group(self, kind: str, items: object, path: str, depth: int, *, bad: bool) -> Node | None:
        where = f"{path}.{kind}"
        if not isinstance(items, list):
            self.error(where, f"needs a list of conditions, got {shown(items)}")
            return None
        if not items:
            self.error(where, "needs at least one condition")
            return None
        children = [self.node(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(items)]
        if bad or any(child is None for child in children):
            return None
        nodes = tuple(child for child in children if child is not None)
        return All(nodes) if kind == "all" else Any(nodes)


def parse_conditions(
    tree: object,
    catalog: Mapping[str, FieldSpec],
    *,
    root: str = "conditions",
    time_zone: str = DEFAULT_TIME_ZONE,
) -> Node:
    """Validate a JSON condition tree into typed nodes; raise one ``ValidationFailed``
    naming every bad node by its path (``conditions.all[2].op: …``).

    ``{}`` is the always-true tree (``All(())``). ``time_zone`` reads datetime values
    without an offset, date-only values on datetime fields, "today" for date fields and
    is the default zone of in_business_hours.
    """
    try:
        zone = _time_zone(time_zone, root)
    except _Bad as bad:
        raise ValidationFailed.one(bad.where, bad.message) from None
    if tree == {}:
        return All(())
    parser = _Parser(catalog, zone, root)
    node = parser.node(tree, root, 1)
    if parser.errors or node is None:
        raise ValidationFailed(parser.errors)
    return node
