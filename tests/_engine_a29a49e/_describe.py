"""Conditions as people read them, and the equality constraints a rule index can use."""

from __future__ import annotations

from tests._engine_a29a49e._nodes import All, Any, BusinessHours, Leaf, Node, Not, Op
from tests._engine_a29a49e.fields import FieldType, fold

_SYMBOLS = {
    Op.eq: "=",
    Op.ne: "!=",
    Op.gt: ">",
    Op.gte: ">=",
    Op.lt: "<",
    Op.lte: "<=",
    Op.in_: "in",
    Op.not_in: "not in",
    Op.contains: "contains",
    Op.starts_with: "starts with",
}
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _value(value: object, quoted: bool) -> str:
    if isinstance(value, str):
        return repr(value) if quoted else value
    if isinstance(value, tuple):
        return "(" + ", ".join(_value(item, quoted) for item in value) + ")"
    return str(value)


def _weekdays(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{_DAY_NAMES[ordered[0]]}-{_DAY_NAMES[ordered[-1]]}"
    return ", ".join(_DAY_NAMES[d] for d in ordered)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def leaf_text(leaf: Leaf, *, quoted: bool = False) -> str:
    """``region = East`` (or ``region = 'East'`` quoted, as explanations quote values)."""
    name, op, value = leaf.field, leaf.op, leaf.value
    if op in _SYMBOLS:
        return f"{name} {_SYMBOLS[op]} {_value(value, quoted)}"
    if op is Op.between:
        assert isinstance(value, tuple)
        return f"{name} between {_value(value[0], quoted)} and {_value(value[1], quoted)}"
    if op is Op.regex:
        return f"{name} matches /{value}/"
    if op is Op.is_empty:
        return f"{name} is empty"
    if op is Op.is_not_empty:
        return f"{name} is not empty"
    if op is Op.within_days:
        return f"{name} within {value} days"
    if op is Op.older_than_days:
        return f"{name} older than {value} days"
    hours = leaf.operand
    assert isinstance(hours, BusinessHours)
    when = f"{_weekdays(hours.weekdays)} {_clock(hours.start_minute)}-{_clock(hours.end_minute)}"
    return f"{name} in business hours ({when} {hours.time_zone.key})"


def _text(node: Node, quoted: bool) -> str:
    if isinstance(node, Leaf):
        return leaf_text(node, quoted=quoted)
    if isinstance(node, Not):
        return f"not ({_text(node.child, quoted)})"
    if not node.children:
        return "always"
    joiner = " and " if isinstance(node, All) else " or "
    parts = []
    for child in node.children:
        text = _text(child, quoted)
        mixed = isinstance(child, All | Any) and type(child) is not type(node)
        several = isinstance(child, All | Any) and len(child.children) > 1
        parts.append(f"({text})" if mixed and several else text)
    return joiner.join(parts)


def describe(node: Node, *, quoted: bool = False) -> str:
    """A whole tree in one line: ``region = East and (level = A or level = B)``; the empty
    tree reads ``always``."""
    return _text(node, quoted)


def normalise_key(value: object) -> str:
    """A customer's field value as ``equality_keys`` files it (what eq / in compare)."""
    return fold(value if isinstance(value, str) else str(value))


def _accepted(node: Node) -> tuple[str, frozenset[str]] | None:
    """The one text/choice field ``node`` pins to a set of folded values, if it does."""
    if isinstance(node, Leaf):
        if node.type not in (FieldType.text, FieldType.choice):
            return None
        if node.op is Op.eq:
            assert isinstance(node.operand, str)
            return node.field, frozenset((node.operand,))
        if node.op is Op.in_:
            assert isinstance(node.operand, frozenset)
            return node.field, frozenset(str(v) for v in node.operand)
        return None
    if isinstance(node, Any):  # region = East or region in (West, North)
        found = [_accepted(child) for child in node.children]
        fields = {f[0] for f in found if f is not None}
        if None in found or len(fields) != 1:
            return None
        return fields.pop(), frozenset().union(*(f[1] for f in found if f is not None))
    return None


def _conjuncts(node: Node) -> list[Node]:
    if isinstance(node, All):
        return [part for child in node.children for part in _conjuncts(child)]
    return [node]


def equality_keys(node: Node) -> dict[str, frozenset[str]] | None:
    """The fields a customer must equal for ``node`` to hold, each with the folded values
    it accepts; None when there are none. Handles a single eq / in leaf on a text or choice
    field, an ``any`` of such leaves on one field, and ``all`` groups (nested too) of
    these, intersecting when a field is constrained twice (an empty set: never matches).
    A customer whose ``normalise_key(value)`` is not in a field's set fails ``node``."""
    keys: dict[str, frozenset[str]] = {}
    for part in _conjuncts(node):
        found = _accepted(part)
        if found is not None:
            name, values = found
            keys[name] = keys[name] & values if name in keys else values
    return keys or None
