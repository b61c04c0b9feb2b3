"""A rule's conditions in the page's words: ``区域 = 华东 且 等级 属于 A、B``.

The engine's ``describe`` stays the English, language-free fallback (API, logs); pages
walk the same parsed tree here and take every word from the catalogs (``cond.*`` in
``messages.po``, field names from ``rules.field.*``). Values are data and shown as typed,
except booleans and stages, which have words of their own.
"""

from __future__ import annotations

from fenpei.domain.customers import Stage
from fenpei.engine.conditions import All, Any, BusinessHours, Leaf, Node, Not, Op
from fenpei.web.i18n import Translate

_SYMBOLS = {Op.eq: "=", Op.ne: "≠", Op.gt: ">", Op.gte: "≥", Op.lt: "<", Op.lte: "≤"}
_WORDED = {
    Op.in_: "cond.in", Op.not_in: "cond.not_in", Op.contains: "cond.contains",
    Op.starts_with: "cond.starts_with",
}  # fmt: skip
_STAGES = {stage.value for stage in Stage}


def field_name(t: Translate, name: str) -> str:
    """A built-in field's name in words; a custom field's as it was named."""
    key = f"rules.field.{name}"
    shown = t(key)
    return name if shown == key else shown


def _value(t: Translate, field: str, value: object) -> str:
    if isinstance(value, bool):
        return t("cond.true") if value else t("cond.false")
    if isinstance(value, tuple | list | frozenset):
        return t("cond.list_separator").join(_value(t, field, item) for item in value)
    if field == "stage" and value in _STAGES:
        return t(f"stage.{value}")
    return str(value)


def _weekdays(t: Translate, days: frozenset[int]) -> str:
    ordered = sorted(days)
    names = [t(f"cond.day.{day}") for day in ordered]
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return t("cond.day_range", first=names[0], last=names[-1])
    return t("cond.list_separator").join(names)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def leaf_words(t: Translate, leaf: Leaf) -> str:
    """One condition: ``区域 = 华东``, ``成交额 介于 10 和 20``."""
    name, op, value = field_name(t, leaf.field), leaf.op, leaf.value
    if op in _SYMBOLS:
        return f"{name} {_SYMBOLS[op]} {_value(t, leaf.field, value)}"
    if op in _WORDED:
        return t(_WORDED[op], field=name, value=_value(t, leaf.field, value))
    if op is Op.between:
        assert isinstance(value, tuple)
        low, high = (_value(t, leaf.field, v) for v in value)
        return t("cond.between", field=name, low=low, high=high)
    if op is Op.regex:
        return t("cond.regex", field=name, pattern=value)
    if op in (Op.is_empty, Op.is_not_empty, Op.within_days, Op.older_than_days):
        return t(f"cond.{op.value}", field=name, days=value)
    hours = leaf.operand
    assert isinstance(hours, BusinessHours)
    return t(
        "cond.business_hours",
        field=name,
        days=_weekdays(t, hours.weekdays),
        start=_clock(hours.start_minute),
        end=_clock(hours.end_minute),
        zone=hours.time_zone.key,
    )


def conditions_words(t: Translate, node: Node) -> str:
    """A whole tree on one line; the empty tree reads "always"."""
    if isinstance(node, Leaf):
        return leaf_words(t, node)
    if isinstance(node, Not):
        return t("cond.not", condition=conditions_words(t, node.child))
    if not node.children:
        return t("rules.builder.always")
    joiner = t("cond.and") if isinstance(node, All) else t("cond.or")
    parts = []
    for child in node.children:
        text = conditions_words(t, child)
        mixed = isinstance(child, All | Any) and type(child) is not type(node)
        several = isinstance(child, All | Any) and len(child.children) > 1
        parts.append(t("cond.group", condition=text) if mixed and several else text)
    return f" {joiner} ".join(parts)
