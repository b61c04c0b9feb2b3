"""An assignment's stored explanation as a short list of translated lines for people.

The engine stores each decision as data (``engine/explain.py``: trace, exclusions,
candidates, chosen) with its reason as a code and values (``reason_code``, put in words
by ``_reasons.py``) and as an English phrase, the only form older decisions have;
hand-made assignments store who chose whom. Here both become lines such as "Rule #3
'East' matched: region = East ✓" or "Alice excluded: at capacity, 40/40 open customers",
in the page's language. A phrase this module does not know is shown as the engine wrote
it rather than dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fenpei.domain.users import SYSTEM
from fenpei.http.schemas import AssignmentRead
from fenpei.web._reasons import (
    capacity_text,
    coded_reason,
    exclusion_text,
    queue_reason_text,
)
from fenpei.web.i18n import Translate

MAX_SKIPPED_SHOWN = 5
_OPS = {
    "eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤",
    "in": "∈", "not_in": "∉",
}  # fmt: skip
_RULE_PREFIX = re.compile(r"^rule '.*?' matched; ")
_LEAST_LOADED = re.compile(
    r"least loaded: ([\d.]+)/([\d.]+) open \((\d+%)(, default capacity)?\)(.*)"
)


@dataclass(frozen=True)
class Line:
    """One line of an explanation: ``kind`` styles it (rule, skipped, excluded, chosen,
    manual, note); ``checks`` are the conditions a matched rule met."""

    kind: str
    text: str
    checks: list[str] = field(default_factory=list)


def actor_name(t: Translate, actor: str | None) -> str:
    """Who acted, as a person reads it: the system's own jobs are "系统" / "system"."""
    return t("actor.system") if actor == SYSTEM.name else actor or ""


def strategy_text(t: Translate, strategy: str | None, reason: str) -> str:
    """Why the strategy chose this rep: "least loaded (12/40 open, 30%)"."""
    detail = _RULE_PREFIX.sub("", reason)
    if detail == "round robin: first turn":
        return t("why.round_robin_first")
    if detail.startswith("round robin: next after "):
        return t("why.round_robin_next", previous=detail.removeprefix("round robin: next after "))
    if found := _LEAST_LOADED.fullmatch(detail):
        text = t(
            "why.least_loaded", used=found.group(1), limit=found.group(2), share=found.group(3)
        )
        return text + (t("why.tie") if found.group(5) else "")
    if strategy and ": " in detail:
        return t(
            "why.strategy", name=t("why.strategy_" + strategy), detail=detail.split(": ", 1)[1]
        )
    return detail


def condition_checks(t: Translate, conditions: Mapping[str, Any]) -> list[str]:
    """The conditions of a rule as lines to tick: the parts of a top-level ``all``, else the
    whole tree on one line; ``{}`` (always) gives no line."""
    if not conditions:
        return []
    parts = conditions.get("all")
    if isinstance(parts, list):
        return [_condition(t, part) for part in parts]
    return [_condition(t, conditions)]


def _field_name(t: Translate, name: str) -> str:
    key = "field." + name
    shown = t(key)
    return name if shown == key else shown


def _value(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    return str(value)


def _condition(t: Translate, node: object) -> str:
    if not isinstance(node, Mapping):
        return str(node)
    if "all" in node or "any" in node:
        kind = "all" if "all" in node else "any"
        joiner = t("why.and") if kind == "all" else t("why.or")
        children = node[kind] if isinstance(node[kind], list) else []
        return "(" + f" {joiner} ".join(_condition(t, c) for c in children) + ")"
    if "not" in node:
        return t("why.not", condition=_condition(t, node["not"]))
    name = _field_name(t, str(node.get("field", "")))
    op = str(node.get("op", ""))
    if op in _OPS:
        return f"{name} {_OPS[op]} {_value(node.get('value'))}"
    key = "why.op_" + op
    words = t(key)
    return f"{name} {words if words != key else op} {_value(node.get('value', ''))}".strip()


RuleConditions = Callable[[int, Any], Mapping[str, Any] | None]


def explain_lines(
    t: Translate, record: AssignmentRead, conditions_of: RuleConditions
) -> list[Line]:
    """The lines for one assignment record; ``conditions_of(rule_id, at)`` gives the rule's
    conditions as they were then (None when unknown)."""
    data = record.explanation or {}
    # 重点客户 ends with the ownership: said on the record that ended it
    ended = (
        [Line("manual", t("pool.key_account_cleared"))] if data.get("key_account_cleared") else []
    )
    if "outcome" in data:
        return _routed(t, data, record, conditions_of) + ended
    kind = data.get("kind")
    actor = actor_name(t, record.actor)
    lines: list[Line] = []
    if kind in ("manual", "transfer"):
        key = "why.by_hand_transfer" if kind == "transfer" else "why.by_hand"
        lines.append(Line("manual", t(key, actor=actor, rep=data.get("chosen", ""))))
    elif kind == "bulk":
        reps = ", ".join(str(name) for name in data.get("spread_over", []))
        lines.append(
            Line(
                "manual",
                t("why.bulk", actor=actor, count=data.get("batch_size", 1), reps=reps),
            )
        )
    elif kind == "import" and data.get("file"):
        lines.append(Line("manual", t("why.import", file=data["file"], line=data.get("line", "?"))))
    else:
        lines.append(Line("manual", t("why.other", actor=actor)))
    usage, capacity = data.get("usage_before") or {}, data.get("capacity") or {}
    if usage.get("open") is not None and capacity.get("open") is not None and data.get("chosen"):
        load = t("why.load_before", rep=data["chosen"], used=usage["open"], limit=capacity["open"])
        lines.append(Line("chosen", load))
    if override := data.get("override"):
        lines.append(
            Line(
                "excluded",
                t("why.override", detail=capacity_text(t, str(override.get("breach", "")))),
            )
        )
    return lines + ended


def _routed(
    t: Translate, data: Mapping[str, Any], record: AssignmentRead, conditions_of: RuleConditions
) -> list[Line]:
    lines: list[Line] = []
    trace: Sequence[Mapping[str, Any]] = data.get("trace") or []
    decider = data.get("rule_id")
    skipped = [
        step for step in trace if step.get("result") != "matched" and step.get("rule_id") != decider
    ]
    for step in skipped[:MAX_SKIPPED_SHOWN]:
        lines.append(
            Line(
                "skipped",
                t("why.skipped", rule=step.get("rule_name", ""), why=_skip_reason(t, step)),
            )
        )
    if len(skipped) > MAX_SKIPPED_SHOWN:
        lines.append(Line("skipped", t("why.more_skipped", count=len(skipped) - MAX_SKIPPED_SHOWN)))
    if decider is not None:
        conditions = conditions_of(int(decider), record.at)
        checks = condition_checks(t, conditions) if conditions is not None else []
        lines.append(
            Line("rule", t("why.rule_matched", id=decider, rule=data.get("rule_name", "")), checks)
        )
    for excluded in data.get("exclusions") or []:
        why = exclusion_text(t, str(excluded.get("reason", "")))
        lines.append(Line("excluded", t("why.excluded", rep=excluded.get("rep_name", ""), why=why)))
    if data.get("outcome") == "assigned":
        chosen = next(
            (
                c.get("rep_name")
                for c in data.get("candidates") or []
                if c.get("rep_id") == data.get("rep_id")
            ),
            record.to_rep_name,
        )
        lines.append(Line("chosen", t("why.chosen", rep=chosen or "", why=reason_words(t, data))))
    else:
        lines.append(Line("note", reason_words(t, data)))
    if arm := data.get("arm"):  # the rule runs a holdout: which group this customer is in
        lines.append(Line("note", t("holdout.why.arm", arm=t(f"holdout.arm.{arm}"))))
    if trigger := data.get("reroute"):  # dynamic re-routing: what the change crossed
        lines.insert(0, Line("rule", t("holdout.why.reroute", rule=trigger.get("rule_name", ""),
                                       when=trigger.get("when", ""),
                                       before=_pairs(trigger.get("before")),
                                       after=_pairs(trigger.get("after")))))  # fmt: skip
    return lines


def _pairs(values: object) -> str:
    if not isinstance(values, Mapping):
        return ""
    return ", ".join(f"{name} = {_value(value)}" for name, value in values.items())


def reason_words(t: Translate, data: Mapping[str, Any]) -> str:
    """A stored decision's reason in words: from its code, else from its English phrase."""
    code = str(data.get("reason_code") or "")
    if code and (words := coded_reason(t, code, data.get("reason_params") or {})):
        return words
    reason = str(data.get("reason", ""))
    if data.get("outcome") == "assigned":
        return strategy_text(t, data.get("strategy"), reason)
    return queue_reason_text(t, reason)


def failed_text(t: Translate, data: object, fallback: str | None) -> str:
    """Why a rule did not match, from the trace's data (``failed``) when it has it, else
    its English ``failed_condition`` (traces stored before the data existed)."""
    words = _failed_words(t, data) if isinstance(data, Mapping) else None
    return words if words is not None else fallback or ""


def _was(t: Translate, was: object) -> str:
    if isinstance(was, Mapping):
        return t("why.value_empty") if was.get("key") == "value.empty" else str(was.get("text"))
    return str(was)


def _failed_words(t: Translate, data: Mapping[str, Any]) -> str | None:
    key, values = data.get("key"), data.get("values") or {}
    tree = values.get("tree")
    if key in ("failed.leaf", "failed.not_was") and isinstance(tree, Mapping):
        condition = _condition(t, tree if key == "failed.leaf" else {"not": tree})
        return t("why.failed_was", condition=condition, was=_was(t, values.get("was")))
    if key == "failed.not" and isinstance(tree, Mapping):
        return t("why.failed_matched", condition=_condition(t, {"not": tree}))
    if key == "failed.none_of":
        parts = [
            _failed_words(t, part) or str(part.get("text", ""))
            for part in values.get("each") or []
            if isinstance(part, Mapping)
        ]
        return t("why.failed_none_of", parts=t("why.failed_separator").join(parts))
    return None


def _skip_reason(t: Translate, step: Mapping[str, Any]) -> str:
    result = str(step.get("result", ""))
    failed = step.get("failed_condition")
    if result == "no_match" and failed:
        return t("why.not_met", condition=failed_text(t, step.get("failed"), str(failed)))
    if result == "no_eligible_rep":
        return t("why.no_eligible", detail=str(failed or ""))
    key = "why.result_" + result
    shown = t(key)
    return result.replace("_", " ") if shown == key else shown
