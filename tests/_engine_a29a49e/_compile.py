"""Condition trees compiled once into closures: no parsing or eval when a customer is tested.

Leaves become closures (``_leaves``); groups chain their children with short-circuits, and
a parallel set of closures explains the first failure for the decision's story.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fenpei.domain.customers import Customer
from fenpei.domain.phrases import Phrase
from tests._engine_a29a49e._describe import describe, leaf_text
from tests._engine_a29a49e._leaves import Test, leaf_test
from tests._engine_a29a49e._nodes import All, Leaf, Node, Not

Explain = Callable[[Customer, datetime], "str | None"]


class Predicate:
    """A compiled condition tree: ``predicate(customer, now)`` tells whether it holds."""

    __slots__ = ("_explain", "node", "test")

    def __init__(self, node: Node, test: Test, explain: Explain) -> None:
        self.node = node
        self.test = test  # the bare closure, for callers that want to skip one call
        self._explain = explain

    def __call__(self, customer: Customer, now: datetime) -> bool:
        return self.test(customer, now)

    def first_failure(self, customer: Customer, now: datetime) -> str | None:
        """What made the tree false, e.g. ``region = 'East' (was 'West')``; None if true."""
        return self._explain(customer, now)

    def __repr__(self) -> str:
        return f"Predicate({describe(self.node)!r})"


def compile_conditions(node: Node) -> Predicate:
    """Compile a tree from ``parse_conditions`` into a fast ``Predicate``."""
    test, explain = _compile(node)
    return Predicate(node, test, explain)


def _compile(node: Node) -> tuple[Test, Explain]:
    if isinstance(node, Leaf):
        return _leaf(node)
    if isinstance(node, Not):
        return _not(node)
    compiled = [_compile(child) for child in node.children]
    tests = tuple(t for t, _ in compiled)
    explains = tuple(e for _, e in compiled)
    if isinstance(node, All):
        return _all(tests), _first_of(explains)
    test = _any(tests)
    return test, _none_of(test, explains)


def _all(tests: tuple[Test, ...]) -> Test:
    if not tests:
        return lambda c, now: True
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda c, now: a(c, now) and b(c, now)
    if len(tests) == 3:
        a, b, d = tests
        return lambda c, now: a(c, now) and b(c, now) and d(c, now)

    # Plain loops, not all()/any() over a generator: no generator object per call.
    def every(c: Customer, now: datetime) -> bool:
        for test in tests:  # noqa: SIM110
            if not test(c, now):
                return False
        return True

    return every


def _any(tests: tuple[Test, ...]) -> Test:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda c, now: a(c, now) or b(c, now)

    def some(c: Customer, now: datetime) -> bool:
        for test in tests:  # noqa: SIM110
            if test(c, now):
                return True
        return False

    return some


def _first_of(explains: tuple[Explain, ...]) -> Explain:
    def first(c: Customer, now: datetime) -> str | None:
        for explain in explains:
            if (why := explain(c, now)) is not None:
                return why
        return None

    return first


def _none_of(test: Test, explains: tuple[Explain, ...]) -> Explain:
    def none_of(c: Customer, now: datetime) -> str | None:
        if test(c, now):
            return None
        parts = [explain(c, now) for explain in explains]
        return Phrase(
            "failed.none_of",
            "none of: {parts}",
            parts="; ".join(map(str, parts)),
            each=[p for p in parts if p is not None],
        )

    return none_of


def _not(node: Not) -> tuple[Test, Explain]:
    inner, _ = _compile(node.child)
    text = f"not ({describe(node.child, quoted=True)}), but it matched"
    tree = node_data(node.child)
    if isinstance(node.child, Leaf):
        get = node.child.spec.get if node.child.spec else None
        assert get is not None

        def explain(c: Customer, now: datetime) -> str | None:
            if not inner(c, now):
                return None
            was = shown_actual(get(c))
            return Phrase("failed.not_was", "{text} (was {was})", text=text, was=was, tree=tree)

    else:

        def explain(c: Customer, now: datetime) -> str | None:
            return Phrase("failed.not", text, tree=tree) if inner(c, now) else None

    return (lambda c, now: not inner(c, now)), explain


def node_data(node: Node) -> dict[str, Any]:
    """A tree as the conditions' JSON shape (``{"field", "op", "value"}``, ``all`` / ``any``
    / ``not``), for explanations to store and pages to put in words."""
    if isinstance(node, Leaf):
        return {"field": node.field, "op": node.op.value, "value": node.value}
    if isinstance(node, Not):
        return {"not": node_data(node.child)}
    kind = "all" if isinstance(node, All) else "any"
    return {kind: [node_data(child) for child in node.children]}


def shown_actual(value: object) -> str:
    """A customer's value as an explanation quotes it."""
    if value is None or value == [] or (isinstance(value, str) and not value.strip()):
        return Phrase("value.empty", "empty")
    if isinstance(value, str):
        text = repr(str(value))  # str(): a Stage shows as 'won', not <Stage.won: 'won'>
        return text if len(text) <= 60 else text[:57] + "..."
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return repr(value)


def _leaf(leaf: Leaf) -> tuple[Test, Explain]:
    test = leaf_test(leaf)
    assert leaf.spec is not None
    get, text = leaf.spec.get, leaf_text(leaf, quoted=True)
    tree = node_data(leaf)

    def explain(c: Customer, now: datetime) -> str | None:
        if test(c, now):
            return None
        was = shown_actual(get(c))
        return Phrase("failed.leaf", "{text} (was {was})", text=text, was=was, tree=tree)

    return test, explain
