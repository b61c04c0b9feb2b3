"""What merging or retiring a category value does to the rules that test it.

Customers store a value's code and rules compare against codes, so a merge (every customer
moves from ``retail`` to ``commerce``) would silently change what a rule testing ``retail``
matches. Merging therefore carries the rule along: each equality test of the field against
the old code (``eq``, ``ne``, ``in``, ``not_in``) is rewritten to the new code, and the rule
is saved as a new version noting why. A test the rewrite cannot carry faithfully
(``contains``, ``starts_with``, ``regex`` on that field) refuses the merge with the rules
named. Retiring a value keeps existing customers as they are but stops new ones from
getting it; a rule testing it would quietly stop matching new customers, so retiring is
refused with the rules named until they are changed.
"""

from __future__ import annotations

from typing import Any

from fenpei.engine.fields import fold

CARRIED_OPS = frozenset({"eq", "ne", "in", "not_in"})
TEXT_OPS = frozenset({"contains", "starts_with", "regex"})


def _leaves(tree: Any) -> list[dict[str, Any]]:
    if not isinstance(tree, dict):
        return []
    if "field" in tree:
        return [tree]
    found: list[dict[str, Any]] = []
    for key in ("all", "any"):
        for child in tree.get(key) or []:
            found += _leaves(child)
    if "not" in tree:
        found += _leaves(tree["not"])
    return found


def _names(value: object, code: str) -> bool:
    wanted = fold(code)
    if isinstance(value, str):
        return fold(value) == wanted
    if isinstance(value, list):
        return any(isinstance(item, str) and fold(item) == wanted for item in value)
    return False


def use_of(tree: Any, field: str, code: str, into: str | None = None) -> bool | None:
    """None if ``tree`` does not test ``field`` for ``code``; else whether every such test
    can be carried to ``into`` (equality tests) or not (a text match on the field that may
    answer differently for the two codes; when retiring, ``into`` is None)."""
    uses = [leaf for leaf in _leaves(tree) if leaf.get("field") == field]
    equal = [
        leaf for leaf in uses if leaf.get("op") in CARRIED_OPS and _names(leaf.get("value"), code)
    ]
    textual = [
        leaf for leaf in uses if leaf.get("op") in TEXT_OPS and _text_differs(leaf, code, into)
    ]
    if not equal and not textual:
        return None
    return not textual


def _text_differs(leaf: dict[str, Any], code: str, into: str | None) -> bool:
    """Whether a text match on the field may answer differently for ``code`` than for
    ``into`` (the merge target), or, when retiring (``into`` None), may match ``code`` at
    all: then the rule's meaning moves and no rewrite carries it. Regex: assumed so."""
    value = leaf.get("value")
    if leaf.get("op") == "regex" or not isinstance(value, str):
        return True

    def hits(text: str) -> bool:
        if leaf.get("op") == "contains":
            return fold(value) in fold(text)
        return fold(text).startswith(fold(value))

    return hits(code) if into is None else hits(code) != hits(into)


def recode(tree: Any, field: str, code: str, into: str) -> Any:
    """``tree`` with every equality test of ``field`` against ``code`` now against ``into``
    (an ``in`` list keeps its order and loses the duplicate); other nodes are copied as is."""
    if isinstance(tree, list):
        return [recode(item, field, code, into) for item in tree]
    if not isinstance(tree, dict):
        return tree
    if "field" not in tree:
        return {key: recode(value, field, code, into) for key, value in tree.items()}
    if tree.get("field") != field or tree.get("op") not in CARRIED_OPS:
        return dict(tree)
    value = tree.get("value")
    if isinstance(value, str):
        return {**tree, "value": into if fold(value) == fold(code) else value}
    if isinstance(value, list):
        moved: list[Any] = []
        seen: set[str] = set()
        for item in value:
            if isinstance(item, str):
                item = into if fold(item) == fold(code) else item
                if fold(item) in seen:
                    continue
                seen.add(fold(item))
            moved.append(item)
        return {**tree, "value": moved}
    return dict(tree)
